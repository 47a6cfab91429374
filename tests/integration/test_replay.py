"""`vigie replay FILE [--rate N | --event-time] [--format ...]`: files of mentions through the pipeline."""

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
        [sys.executable, "-m", "services.runtime.cli", "replay", str(path), *extra],
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


def tweet_v2_page(brand: str, first: int, count: int) -> dict[str, object]:
    users = [{"id": f"u{i}", "username": f"user{i}", "name": f"User {i}"} for i in range(5)]
    tweets = [
        {
            "id": str(1834159231459450000 + first + i),
            "text": f"{brand} tweet {first + i} #{brand.replace('-', '')}",
            "author_id": f"u{i % 5}",
            "created_at": (datetime.now(UTC) - timedelta(hours=1, seconds=i)).isoformat(),
            "public_metrics": {"like_count": i, "retweet_count": 0, "reply_count": 0, "quote_count": 0},
        }
        for i in range(count)
    ]
    tweets.append(
        {
            "id": "1",
            "text": f"RT {brand}",
            "author_id": "u0",
            "referenced_tweets": [{"type": "retweeted", "id": "2"}],
        }
    )
    return {"data": tweets, "includes": {"users": users}, "meta": {"result_count": count + 1}}


async def test_twitter_exports_and_csv_files_are_replayed(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    brand = unique("tw")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    pages = tmp_path / "v2.json"
    pages.write_bytes(orjson.dumps([tweet_v2_page(brand, 0, 40), tweet_v2_page(brand, 40, 30)]))
    v1 = tmp_path / "v1.json"
    v1.write_bytes(
        b"\n".join(
            orjson.dumps(
                {
                    "id_str": f"99{i}",
                    "created_at": f"{datetime.now(UTC) - timedelta(hours=2):%a %b %d %H:%M:%S +0000 %Y}",
                    "text": f"{brand} old status {i}",
                    "user": {"id_str": f"{i}", "screen_name": f"old{i}", "followers_count": i},
                }
            )
            for i in range(20)
        )
    )
    table = tmp_path / "mentions.csv"
    rows = [f"c-{brand}-{i},{brand} from a spreadsheet {i},sheet{i},{i}" for i in range(15)]
    table.write_text("id,text,author,author.followers\n" + "\n".join(rows) + "\n")

    for path, expected in ((pages, "published 70 mentions"), (v1, "published 20"), (table, "published 15")):
        done, _ = await asyncio.to_thread(replay, stack, path)
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout
    await wait_total(client, watchlist["id"], 105)


async def test_a_file_is_replayed_in_event_time(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    brand = unique("evt")
    watchlist = await create_watchlist(client, name=brand, keywords=[brand])
    start = datetime.now(UTC) - timedelta(minutes=30)
    path = tmp_path / "spread.jsonl"
    path.write_bytes(
        b"\n".join(
            orjson.dumps(
                {
                    "text": f"{brand} at {i * 2} s",
                    "author": {"handle": f"e{i}"},
                    "created_at": (start + timedelta(seconds=i * 2)).isoformat(),
                }
            )
            for i in range(16)
        )
    )
    # 30 s of event time, replayed 10 times faster: the replay waits between mentions.
    done, elapsed_s = await asyncio.to_thread(replay, stack, path, "--event-time", "--speed", "10")
    assert done.returncode == 0, done.stderr
    assert "published 16 mentions" in done.stdout
    assert elapsed_s >= 3.0, f"30 s of event time at 10x took only {elapsed_s:.2f} s"
    await wait_total(client, watchlist["id"], 16)
