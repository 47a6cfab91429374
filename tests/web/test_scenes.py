"""The wall's scenes and the operator console in real headless Chromium, against a quiet `vigie run`.

What the room would notice: each scene shows its figures; a critical alert takes over the wall (a banner,
the rotation held on the alerts scene) until someone acknowledges it from the console; public text is
shown as text on the wall and the console, never run as HTML.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.conftest import create_watchlist, unique, wait_for, wait_total
from tests.conftest import posted_mention as mention
from tests.stack import Stack, running_stack
from tests.web.test_wall import SCREENSHOT_DIR

HOSTILE = "<img src=x onerror=\"document.body.dataset.pwned='1'\"><script>document.title='pwned'</script>"


@pytest.fixture(scope="module")
def quiet_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(Path(tmp_path_factory.mktemp("scenes"))) as running:
        yield running


@pytest.fixture
async def api(quiet_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with quiet_stack.http() as client:
        yield client


async def open_page(browser: Browser, url: str) -> Page:
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(url)
    await expect(page.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
    return page


async def test_every_scene_renders_and_text_stays_text(
    browser: Browser, quiet_stack: Stack, api: httpx.AsyncClient
) -> None:
    brand = unique("scene")
    watchlist = await create_watchlist(api, name=brand, keywords=[brand], group=brand)
    wid = watchlist["id"]
    tag = "tag" + brand.replace("-", "")
    posted = [mention(f"{brand} was great today #{tag} #sunny", minutes_ago=i % 5) for i in range(8)]
    assert (await api.post("/api/v1/mentions", json=posted)).status_code == 202
    await wait_total(api, wid, 8)

    wall = await open_page(
        browser,
        f"{quiet_stack.base_url}/?scenes=overview,focus:{wid},alerts&rotate_s=2&token={quiet_stack.display_token}",
    )
    try:
        scene = wall.locator("body")
        await expect(scene).to_have_attribute("data-scene", "overview", timeout=10_000)
        tile = wall.locator(f'[data-testid="tile"][data-watchlist="{wid}"]')
        await expect(tile.locator('[data-field="per-min"]')).not_to_have_text("—", timeout=30_000)

        await expect(scene).to_have_attribute("data-scene", "focus", timeout=10_000)
        await expect(scene).to_have_attribute("data-scene", "alerts", timeout=10_000)
        await expect(wall.locator('[data-field="alerts-empty"]')).to_be_visible()
        await expect(scene).to_have_attribute("data-scene", "overview", timeout=10_000)
    finally:
        await wall.close()

    # One scene only: no rotation while its contents are read.
    wall = await open_page(
        browser, f"{quiet_stack.base_url}/?scenes=focus:{wid}&rotate_s=2&token={quiet_stack.display_token}"
    )
    try:
        await expect(wall.locator("body")).to_have_attribute("data-scene", "focus")
        focus = wall.locator('[data-testid="scene"][data-scene="focus"]')
        await expect(focus).to_have_attribute("data-watchlist", wid)
        await expect(focus.locator('[data-field="name"]')).to_have_text(brand)
        await expect(focus.locator('[data-field="timeline"]')).to_have_attribute("data-points", "60")
        await expect(focus.locator('[data-field="timeline"] canvas')).to_have_count(1)
        await expect(focus.locator('[data-field="total-60m"]')).to_have_text("8")
        # No swarm yet: the top hashtags come from the mentions this wall has seen.
        await expect(focus.locator('[data-field="hashtags"]')).to_have_attribute("data-source", "mentions")
        await expect(focus.locator(f'[data-testid="hashtag"][data-tag="{tag.lower()}"]')).to_be_visible()
        # The ticker beside the focus scene shows only this watchlist.
        items = wall.locator('[data-testid="ticker-item"]')
        await expect(items.first).to_be_visible()
        for label in await items.locator('[data-field="watchlists"]').all_inner_texts():
            assert brand in label
        await asyncio.to_thread(SCREENSHOT_DIR.mkdir, parents=True, exist_ok=True)
        await wall.screenshot(path=str(SCREENSHOT_DIR / "wall-focus-quiet.png"))

        # Public text is shown as text: nothing it contains becomes an element or runs.
        hostile = mention(f"{brand} {HOSTILE}")
        assert (await api.post("/api/v1/mentions", json=hostile)).status_code == 202
        item = wall.locator('[data-testid="ticker-item"]', has_text="onerror")
        await expect(item.first).to_be_visible(timeout=30_000)
        assert HOSTILE in await item.first.locator('[data-field="text"]').inner_text()
        assert await wall.locator('[data-testid="ticker"] img, [data-testid="ticker"] script').count() == 0
        assert await wall.evaluate("document.body.dataset.pwned") is None

        console = await open_page(browser, f"{quiet_stack.base_url}/console.html?key={quiet_stack.admin_key}")
        try:
            await console.click('[data-testid="nav-tab"][data-panel="mentions-panel"]')
            await console.select_option('[data-testid="mentions-watchlist"]', wid)
            await console.fill('[data-testid="mentions-search"]', "onerror")
            found = console.locator('[data-testid="console-mention"]')
            await expect(found).to_have_count(1)
            assert await console.locator('[data-testid="console-mentions"] img').count() == 0
            assert await console.evaluate("document.body.dataset.pwned") is None
            # The query editor checks as it is typed and says where it went wrong.
            await console.click('[data-testid="nav-tab"][data-panel="watchlists-panel"]')
            await console.fill('[data-testid="query-input"]', f"({brand} OR")
            status = console.locator('[data-testid="query-status"]')
            await expect(status).to_have_attribute("data-valid", "false")
            await expect(status).to_contain_text("expected")
            await console.fill('[data-testid="query-input"]', f"({brand} OR #{tag}) NOT lang:de")
            await expect(status).to_have_attribute("data-valid", "true")
        finally:
            await console.close()
    finally:
        await wall.close()


async def test_a_critical_alert_takes_over_the_wall_until_acknowledged_from_the_console(
    browser: Browser, quiet_stack: Stack, api: httpx.AsyncClient
) -> None:
    brand = unique("crit")
    watchlist = await create_watchlist(api, name=brand, keywords=[brand], group=brand)
    wid = watchlist["id"]
    # One critical alert to acknowledge: the surge would also drop sentiment (a second critical alert that
    # may fire later than the first), so this watchlist watches volume only.
    only_volume = {"sentiment_drop": {"enabled": False}, "negative_influencer": {"enabled": False}}
    assert (await api.put(f"/api/v1/watchlists/{wid}/rules", json=only_volume)).status_code == 200
    baseline = [mention(f"Flying {brand} today", minutes_ago=50 - i) for i in range(30)]
    assert (await api.post("/api/v1/mentions", json=baseline)).status_code == 202
    await wait_total(api, wid, 30)

    wall = await open_page(
        browser,
        f"{quiet_stack.base_url}/?scenes=overview,focus:*&rotate_s=2&token={quiet_stack.display_token}",
    )
    console = await open_page(browser, f"{quiet_stack.base_url}/console.html?key={quiet_stack.admin_key}")
    try:
        banner = wall.locator('[data-testid="critical-banner"]')
        await expect(banner).to_be_hidden()
        surge = [mention(f"{brand} lost my luggage, awful, terrible service") for _ in range(200)]
        assert (await api.post("/api/v1/mentions", json=surge)).status_code == 202

        async def spike() -> dict[str, Any] | None:
            params = {"watchlist": wid, "rule": "volume_spike"}
            found = (await api.get("/api/v1/alerts", params=params)).json()
            return found[0] if found and found[0]["severity"] == "critical" else None

        alert = await wait_for(spike)
        try:
            await expect(banner).to_be_visible(timeout=15_000)
        except AssertionError:
            seen = await wall.evaluate("JSON.stringify(window.__vigie)")
            raise AssertionError(f"no banner for {alert}; the wall has {seen}") from None
        await expect(banner).to_contain_text(brand)
        # The rotation holds on the alerts scene (not even in the list of this wall) while the banner shows.
        body = wall.locator("body")
        await expect(body).to_have_attribute("data-scene", "alerts")
        row = wall.locator(f'[data-testid="alert-row"][data-alert="{alert["alert_id"]}"]')
        await expect(row).to_have_attribute("data-status", "firing")
        await expect(row.locator('[data-field="duration"]')).to_contain_text("for ")
        checks = await wall.evaluate("window.__vigie.rotationChecks")
        # The wall's clock asks the rotation once a second: five asks span two rotation periods (2 s).
        await wall.wait_for_function(f"window.__vigie.rotationChecks >= {checks + 5}", timeout=15_000)
        await expect(body).to_have_attribute("data-scene", "alerts")
        assert await wall.evaluate("window.__vigie.paused") is True
        await asyncio.to_thread(SCREENSHOT_DIR.mkdir, parents=True, exist_ok=True)
        await wall.screenshot(path=str(SCREENSHOT_DIR / "wall-critical.png"))

        await console.fill('[data-testid="operator"]', "ana")
        await console.click('[data-testid="nav-tab"][data-panel="alerts-panel"]')  # incidents come first
        card = console.locator(f'[data-testid="console-alert"][data-alert="{alert["alert_id"]}"]')
        await expect(card).to_have_attribute("data-status", "firing", timeout=15_000)
        await card.locator('[data-action="acknowledge"]').click()
        await expect(card).to_have_attribute("data-status", "acknowledged")
        await expect(card.locator('[data-field="status"]')).to_contain_text("ana")

        # Every critical alert of this brand acknowledged: the wall lets go and rotates again.
        async def all_critical_acknowledged() -> bool:
            params = {"watchlist": wid, "status": "firing"}
            for other in (await api.get("/api/v1/alerts", params=params)).json():
                if other["severity"] == "critical":
                    await api.post(f"/api/v1/alerts/{other['alert_id']}/acknowledge", json={"by": "bo"})
            return await banner.is_hidden()

        await wait_for(all_critical_acknowledged, timeout_s=30, interval_s=1.0)
        await expect(row).to_have_attribute("data-status", "acknowledged")
        await expect(row.locator('[data-field="by"]')).to_contain_text("by ana")
        await expect(body).not_to_have_attribute("data-scene", "alerts", timeout=10_000)
        assert await wall.evaluate("window.__vigie.paused") is False
    finally:
        await console.close()
        await wall.close()
