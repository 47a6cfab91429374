"""A real, throwaway PostgreSQL server for tests: Debian's binaries, a fresh cluster in a temporary folder.

`.ci/run` installs the `postgresql` package; tests that need it fail with a clear message when it is missing
rather than skipping. The server runs as the `postgres` system user when started by root (initdb refuses
root), listens on 127.0.0.1 only, and is removed when stopped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.stack import free_port


def postgres_bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL is needed for the database tests: install Debian's postgresql package "
            "(.ci/run does: apt-get install postgresql)"
        )
    return Path(found[-1]).parent


@dataclass
class Postgres:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _as_user(argv: list[str]) -> list[str]:
    """Run as `postgres` when we are root (initdb and postgres refuse to run as root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def start_postgres(parent: Path, database: str = "vigie") -> Postgres:
    bin_dir = postgres_bin_dir()
    data_dir = parent / "pgdata"
    data_dir.mkdir(parents=True)
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        for path in (parent, data_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
    subprocess.run(
        _as_user([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "vigie", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = [str(bin_dir / "postgres"), "-D", str(data_dir), "-p", str(port), "-k", str(data_dir)]
    with (parent / "postgres.log").open("wb") as log:  # the server keeps its own copy of the descriptor
        process = subprocess.Popen(
            _as_user([*server, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
        )
        if ready.returncode == 0:
            break
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited: {(parent / 'postgres.log').read_text(errors='replace')}")
        time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("postgres did not accept connections within 30 s")
    subprocess.run(
        [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "vigie", database],
        check=True,
        capture_output=True,
    )
    return Postgres(f"postgresql+psycopg://vigie@127.0.0.1:{port}/{database}", data_dir, process)
