"""The api's parsing process never outlives the api, even when the api is killed with SIGKILL (it is never
told): orphans would pile up with every crash of an api."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.stack import child_pids

SCRIPT = textwrap.dedent(
    """
    import asyncio

    from api.body_parser import BodyParser


    async def main() -> None:
        parser = BodyParser(10)
        await parser.start()
        print("started", flush=True)
        await asyncio.sleep(120)


    if __name__ == "__main__":
        asyncio.run(main())
    """
)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_parsing_process_stops_when_the_api_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "api_like.py"
    script.write_text(SCRIPT)
    root = Path(__file__).resolve().parents[2]
    api = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
    )
    try:
        assert api.stdout is not None and api.stdout.readline().strip() == b"started"
        children = child_pids(api.pid)
        assert children, "the parsing process was not started"
        os.kill(api.pid, signal.SIGKILL)
        api.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if alive(pid)], "the parsing process outlived the killed api"
    finally:
        if api.poll() is None:
            api.kill()
