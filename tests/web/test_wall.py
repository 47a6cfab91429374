"""The wall in real headless Chromium (Debian's, driven by Playwright) against `vigie run` with the demo.

What a person in the room would notice: a tile per watched brand whose numbers move, a ticker of
incoming mentions shown as plain text, and a wall that says so when its feed is cut and recovers by itself.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from services.demo import demo_watchlists
from services.runtime.hold import IngestHold
from tests.conftest import create_watchlist, posted_mention, unique
from tests.stack import Stack, running_stack

#: Where the screenshots of the wall go (the README's picture is taken here): a setting for the run.
SCREENSHOT_DIR = Path(os.environ.get("VIGIE_SCREENSHOT_DIR", "var/screenshots"))


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(Path(tmp_path_factory.mktemp("wall")), demo=True) as running:
        yield running


@pytest.fixture
async def wall(browser: Browser, demo_stack: Stack) -> AsyncIterator[Page]:
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    # The overview only: by default the wall rotates to other scenes, which a slow run may reach.
    await page.goto(f"{demo_stack.base_url}/?scenes=overview&token={demo_stack.display_token}")
    await expect(page.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
    try:
        yield page
    finally:
        await page.close()


def role_pid(stack: Stack, role: str) -> int:
    """The pid of one role (`api`, `worker`, `demo`) started by the stack's `vigie run`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == stack.process.pid and argv[-2:] == [role.encode(), b""]:
            return int(entry.name)
    raise AssertionError(f"no running {role} role under vigie run (pid {stack.process.pid})")


async def tile_text(page: Page, watchlist_id: str, field: str) -> str:
    locator = page.locator(f'[data-testid="tile"][data-watchlist="{watchlist_id}"] [data-field="{field}"]')
    return (await locator.inner_text()).strip()


async def test_the_demo_brands_are_live_on_the_wall(wall: Page, demo_stack: Stack) -> None:
    assert f"the wall is live at {demo_stack.base_url}/" in demo_stack.log_tail()
    for watchlist in demo_watchlists():
        tile = wall.locator(f'[data-testid="tile"][data-watchlist="{watchlist.id}"]')
        await expect(tile).to_be_visible()
        await expect(tile.locator('[data-field="name"]')).to_have_text(watchlist.name)
    # The demo streams: every brand gets a rate, the ticker fills, the sparklines draw.
    for watchlist in demo_watchlists():
        rate = wall.locator(f'[data-testid="tile"][data-watchlist="{watchlist.id}"] [data-field="per-min"]')
        await expect(rate).not_to_have_text("—", timeout=30_000)
    await expect(wall.locator('[data-testid="ticker-item"]').nth(4)).to_be_visible(timeout=30_000)
    first_id = await wall.locator('[data-testid="ticker-item"]').first.get_attribute("data-mention")
    await expect(wall.locator('[data-testid="ticker-item"]').first).not_to_have_attribute(
        "data-mention", first_id or "", timeout=30_000
    )
    await expect(wall.locator('[data-testid="stale-banner"]')).to_be_hidden()
    await asyncio.to_thread(SCREENSHOT_DIR.mkdir, parents=True, exist_ok=True)
    await wall.screenshot(path=str(SCREENSHOT_DIR / "wall.png"))


async def test_the_addresses_vigie_run_prints_let_a_newcomer_in(browser: Browser, demo_stack: Stack) -> None:
    log = demo_stack.log_path.read_text(errors="replace")
    wall_url = re.search(r"the wall is live at (\S+)", log)
    console_url = re.search(r"the console: (\S+)", log)
    assert wall_url and console_url, log
    assert wall_url.group(1).startswith(f"{demo_stack.base_url}/?token=vk_"), wall_url.group(1)
    assert console_url.group(1).startswith(f"{demo_stack.base_url}/console.html?key=vk_"), console_url.group(
        1
    )
    wall = await browser.new_page()
    console = await browser.new_page()
    try:
        await wall.goto(wall_url.group(1))
        await expect(wall.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
        await console.goto(console_url.group(1))
        await expect(console.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
        assert "key=" not in console.url  # kept for the tab, not left in the address bar
        # The console's calls carry its key: the query editor's check (an operator's call) answers.
        await console.click('[data-testid="nav-tab"][data-panel="watchlists-panel"]')
        await console.fill('[data-testid="query-input"]', "aerolis OR #fail")
        await expect(console.locator('[data-testid="query-status"]')).to_have_attribute("data-valid", "true")
        await expect(console.locator('[data-testid="console-error"]')).to_be_hidden()
    finally:
        await wall.close()
        await console.close()
    # The wall's token shows the wall and nothing else.
    token = wall_url.group(1).split("token=", 1)[1]
    async with httpx.AsyncClient(base_url=demo_stack.base_url, timeout=30) as anyone:
        as_wall = {"Authorization": f"Bearer {token}"}
        assert (await anyone.get("/api/v1/watchlists", headers=as_wall)).status_code == 200
        refused = await anyone.post("/api/v1/mentions", json={"text": "x"}, headers=as_wall)
        assert refused.status_code == 403, refused.text
        assert (await anyone.get("/api/v1/watchlists")).status_code == 401


async def test_posted_mentions_show_on_their_tile_and_in_the_ticker_as_text(
    wall: Page, demo_stack: Stack
) -> None:
    async with demo_stack.http() as client:
        brand = unique("walltest")
        watchlist = await create_watchlist(client, name=brand, keywords=[brand], group=brand)
        tile = wall.locator(f'[data-testid="tile"][data-watchlist="{watchlist["id"]}"]')
        await expect(tile).to_be_visible()
        await expect(tile.locator('[data-field="per-min"]')).to_have_text("—")
        now = datetime.now(UTC).isoformat()
        batch = [
            {"id": unique("w"), "text": f"{brand} lost my bag again, terrible", "author": {"handle": f"u{i}"}}
            for i in range(5)
        ]
        response = await client.post("/api/v1/mentions", json=batch)
        assert response.status_code == 202, response.text
        await expect(tile.locator('[data-field="per-min"]')).to_have_text("5", timeout=30_000)
        # The ticker shows a sample (at most one mention of a watchlist per half second): post this one alone.
        hostile = f"<b id='injected'>{brand}</b> is awful, worst service ever"
        alone = {"id": unique("w"), "text": hostile, "author": {"handle": "ana"}, "created_at": now}
        response = await client.post("/api/v1/mentions", json=alone)
        assert response.status_code == 202, response.text
    await expect(tile.locator('[data-field="per-min"]')).to_have_text("6", timeout=30_000)
    await expect(tile).to_have_attribute("data-tone", "neg")
    assert (await tile_text(wall, watchlist["id"], "net")).startswith("−")
    item = wall.locator('[data-testid="ticker-item"]', has_text=hostile)
    await expect(item.first).to_be_visible(timeout=30_000)
    await expect(item.first).to_have_attribute("data-label", "neg")
    assert await wall.locator("#injected").count() == 0


async def test_the_wall_says_when_its_feed_is_cut_and_recovers_by_itself(
    wall: Page, demo_stack: Stack
) -> None:
    connection = wall.locator('[data-testid="connection"]')
    banner = wall.locator('[data-testid="stale-banner"]')
    os.kill(role_pid(demo_stack, "api"), signal.SIGKILL)
    await expect(connection).not_to_have_attribute("data-state", "live", timeout=10_000)
    await expect(banner).to_be_visible()
    since = await banner.get_attribute("data-since")
    assert since is not None and len(since) == 5, since  # hh:mm, in the room's time zone
    assert await wall.locator("body[data-stale]").count() == 1
    # `vigie run` restarts the api; the wall reconnects with its backoff and gets a fresh snapshot.
    await expect(connection).to_have_attribute("data-state", "live", timeout=60_000)
    await expect(banner).to_be_hidden()
    assert await wall.locator("body[data-stale]").count() == 0


async def test_the_wall_says_when_new_mentions_are_paused_on_purpose_and_when_they_resume(
    wall: Page, browser: Browser, demo_stack: Stack
) -> None:
    """While `vigie run` holds ingest (a broker renewal, a backlog catching up), the room is told why its
    figures stand still, instead of a bare "stale" or nothing."""
    banner = wall.locator('[data-testid="stale-banner"]')
    await expect(banner).to_be_hidden()
    notice = await console_notice(browser, demo_stack)
    hold = IngestHold(demo_stack.data_dir)  # what the supervisor writes when it holds ingest
    hold.hold("a test holds ingest", summary="the pipeline is catching up (1,234 records behind)")
    try:
        await expect(banner).to_have_attribute("data-reason", "ingest-paused", timeout=10_000)
        text = await banner.inner_text()
        assert "New mentions paused since" in text and "catching up (1,234 records behind)" in text, text
        await expect(notice).to_have_attribute("data-reason", "ingest-paused")
        await expect(notice).to_contain_text("New mentions paused since")
        await expect(notice).to_contain_text("catching up (1,234 records behind)")
        async with demo_stack.http() as client:
            refused = await client.post("/api/v1/mentions", json=[posted_mention("held")])
        assert refused.status_code == 503, refused.text
    finally:
        hold.release()
    await expect(banner).to_be_hidden(timeout=10_000)
    await expect(wall.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
    await expect(notice).to_be_hidden()
    await notice.page.close()


async def console_notice(browser: Browser, stack: Stack) -> Locator:
    """The pipeline notice of an operator console opened on `stack` (hidden while all is well)."""
    console = await browser.new_page(viewport={"width": 1440, "height": 1000})
    await console.goto(f"{stack.base_url}/console.html?key={stack.admin_key}")
    await expect(console.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
    notice = console.locator('[data-testid="pipeline-notice"]')
    await expect(notice).to_be_hidden()
    return notice


async def test_the_wall_says_when_alerts_and_swarms_stand_still_because_the_insights_process_is_down(
    wall: Page, browser: Browser, demo_stack: Stack
) -> None:
    """The workers keep counts and sentiment live without `vigie insights`, so nothing on the wall would go
    stale while the alert rules, swarms and influencers stand still: the room is told, and told again
    when that process reports. The operator console says it too, above its panels."""
    banner = wall.locator('[data-testid="stale-banner"]')
    await expect(banner).to_be_hidden()
    notice = await console_notice(browser, demo_stack)
    insights = role_pid(demo_stack, "insights")
    os.kill(insights, signal.SIGSTOP)  # hung, not gone: `vigie run` restarts it only after 60 s
    try:
        await expect(banner).to_have_attribute("data-reason", "insights-down", timeout=30_000)
        text = await banner.inner_text()
        assert "Alerts and swarms paused since" in text and "counts stay live" in text, text
        assert re.fullmatch(r"\d\d:\d\d", await banner.get_attribute("data-since") or ""), text
        # What the workers compute is still live: the wall is not dimmed as stale.
        await expect(wall.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
        assert await wall.locator("body[data-stale]").count() == 0
        await expect(notice).to_have_attribute("data-reason", "insights-down")
        await expect(notice).to_contain_text("insights process down; counts stay live")
    finally:
        os.kill(insights, signal.SIGCONT)
    await expect(banner).to_be_hidden(timeout=90_000)
    await expect(notice).to_be_hidden()
    await notice.page.close()


async def test_the_focus_scene_shows_a_demo_brand_in_depth(browser: Browser, demo_stack: Stack) -> None:
    brand = demo_watchlists()[0]
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        await page.goto(f"{demo_stack.base_url}/?scenes=focus:{brand.id}&token={demo_stack.display_token}")
        focus = page.locator('[data-testid="scene"][data-scene="focus"]')
        await expect(focus).to_have_attribute("data-watchlist", brand.id, timeout=30_000)
        await expect(focus.locator('[data-field="name"]')).to_have_text(brand.name)
        await expect(focus.locator('[data-field="per-min"]')).not_to_have_text("—", timeout=30_000)
        await expect(focus.locator('[data-field="timeline"] canvas')).to_have_count(1)
        await expect(focus.locator('[data-testid="influencer"]').first).to_be_visible(timeout=60_000)
        await expect(focus.locator('[data-testid="hashtag"]').first).to_be_visible(timeout=30_000)
        await asyncio.to_thread(SCREENSHOT_DIR.mkdir, parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT_DIR / "wall-focus.png"))
    finally:
        await page.close()
