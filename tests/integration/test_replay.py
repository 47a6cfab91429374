"""`vigie replay FILE [--rate N]`: a JSON-lines file of mentions through the running pipeline."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

from tests.conftest import create_watchlist, unique, wait_total
from tests.stack import Stack


def replay(stack: Stack, path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "replay", str(path), *extra],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, time.monotonic() - started


async def test_a_file_is_replayed_at_the_chosen_rate_and_bad_lines_are_named(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    brand = unique("replay")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    yesterday = datetime.now(UTC) - timedelta(days=1)
    lines = [
        orjson.dumps(
            {
                "id": unique("r"),
                "text": f"{brand} replayed mention {i}",
                "author": {"handle": f"author{i % 7}"},
                "created_at": (yesterday + timedelta(seconds=i)).isoformat(),
            }
        )
        for i in range(300)
    ]
    lines.insert(120, b'{"text": "no author"}')
    lines.insert(200, b"{not json")
    path = tmp_path / "mentions.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")

    done, elapsed_s = await asyncio.to_thread(replay, stack, path, "--rate", "200")

    assert done.returncode == 2, done.stderr  # some lines were refused
    assert "published 300 mentions, refused 2" in done.stdout
    assert "line 121: author" in done.stderr
    assert "line 201: not valid JSON" in done.stderr
    assert elapsed_s >= 1.0, f"300 mentions at 200/s took only {elapsed_s:.2f} s"
    await wait_total(client, watchlist["id"], 300)
