"""The wall's history scenes in Chromium, against a quiet `vigie run`: a brand's mentions of the last hour,
and of yesterday, read back from the database's roll-ups through the history route with the wall's token.

What the room would notice: the total of the last 24 hours, how it compares with the 24 hours before, the
net sentiment, and an hourly chart; the 7-day scene counts both days together. In the console, the period
picker shows the same figures next to those of the period before.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from services.access.auth import KeyStore
from services.history.store import HistoryStore, MinuteRow
from services.settings import Settings
from services.storage import Store
from tests.conftest import create_watchlist, posted_mention, unique, wait_for, wait_total
from tests.stack import Stack, running_stack
from tests.web.test_wall import SCREENSHOT_DIR

MINUS = "\u2212"


@pytest.fixture(scope="module")
def quiet_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(Path(tmp_path_factory.mktemp("history-scenes"))) as running:
        yield running


def database_url(stack: Stack) -> str:
    """The database the stack's `vigie run` uses (as tests/stack.py create_keys finds it)."""
    return Settings(
        _env_file=None, data_dir=stack.data_dir, database_url=stack.env.get("VIGIE_DATABASE_URL", "")
    ).db_url


def record_yesterday(stack: Stack, watchlist_id: str, hours_ago: float, figures: list[float]) -> None:
    """Minute roll-up rows as the worker wrote them `hours_ago` (a live stack only takes mentions of the
    last hour), in the stack's own database."""
    store = HistoryStore(database_url(stack))
    try:
        start = int((time.time() - hours_ago * 3600) // 60 * 60)
        store.save([], [MinuteRow(watchlist_id, start, figures)])
    finally:
        store.close()


async def history(client: httpx.AsyncClient, watchlist_id: str, **query: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/watchlists/{watchlist_id}/history", params=query)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def net_points(net: float) -> str:
    points = round(net * 100)
    return f"+{points}" if points > 0 else f"{MINUS}{-points}" if points < 0 else "0"


async def test_history_on_the_wall_and_in_the_console(browser: Browser, quiet_stack: Stack) -> None:
    async with quiet_stack.http() as client:
        brand = unique("hist")
        wid = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
        posts = [
            posted_mention(f"{brand} cancelled my flight, terrible service", minutes_ago=5) for _ in range(6)
        ]
        posts += [posted_mention(f"{brand} lovely crew, thank you", minutes_ago=35) for _ in range(2)]
        assert (await client.post("/api/v1/mentions", json=posts)).status_code == 202
        await wait_total(client, wid, len(posts))
        # Yesterday, 30 hours ago: 4 mentions, all negative (in the 24 hours before the scene's period).
        await asyncio.to_thread(record_yesterday, quiet_stack, wid, 30, [4, 0, 0, 4, -2.0, 0])

        async def written() -> dict[str, Any] | None:
            answer = await history(client, wid, step=3600)
            return answer if answer["totals"]["count"] == len(posts) else None

        answer = await wait_for(written, timeout_s=20)  # the worker writes its history every second
        assert answer["previous"]["totals"]["count"] == 4

    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        await page.goto(
            f"{quiet_stack.base_url}/?scenes=history24h,history7d&rotate_s=600&token={quiet_stack.display_token}"
        )
        scene = page.locator('[data-testid="scene"][data-scene="history"]')
        await expect(scene).to_be_visible()
        await expect(scene).to_have_attribute("data-span", "24h")
        await expect(page.locator("body")).to_have_attribute("data-scene", "history")
        row = scene.locator(f'[data-testid="history-row"][data-watchlist="{wid}"]')
        await expect(row).to_have_attribute("data-state", "ready", timeout=20_000)
        await expect(row.locator('[data-field="name"]')).to_have_text(brand)
        await expect(row.locator('[data-field="total"]')).to_have_text("8")
        await expect(row.locator('[data-field="comparison"]')).to_have_text("+100% vs the previous 24 h")
        await expect(row.locator('[data-field="comparison"]')).to_have_attribute("data-change", "up")
        await expect(row.locator('[data-field="net"]')).to_have_text(net_points(answer["totals"]["net"]))
        await expect(row.locator('[data-field="net-previous"]')).to_have_text(f"before {MINUS}100")
        chart = row.locator('[data-field="chart"]')
        await expect(chart).to_have_attribute("data-total", "8")
        assert 24 <= int(await chart.get_attribute("data-points") or 0) <= 25
        await expect(row.locator('[data-field="message"]')).to_have_text("")
        await expect(scene.locator('[data-testid="history-status"]')).to_have_text(
            re.compile(r"^Updated \d\d:\d\d$")
        )
        # The wall reads the route with its display token, which the route accepts.
        assert await page.evaluate("window.__vigie.scene") == "history24h"
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT_DIR / "wall-history-24h.png"))

        # The 7-day scene counts yesterday's mentions with today's; nothing came the week before.
        await page.goto(f"{quiet_stack.base_url}/?scenes=history7d&token={quiet_stack.display_token}")
        week = page.locator(f'[data-testid="scene"][data-span="7d"] [data-watchlist="{wid}"]')
        await expect(week).to_have_attribute("data-state", "ready", timeout=20_000)
        await expect(week.locator('[data-field="total"]')).to_have_text("12")
        await expect(week.locator('[data-field="comparison"]')).to_have_text("none in the previous 7 days")
        await expect(week.locator('[data-field="chart"]')).to_have_attribute("data-total", "12")

        await page.goto(f"{quiet_stack.base_url}/console.html?key={quiet_stack.admin_key}#history")
        panel = page.locator('[data-testid="history-panel"]')
        await panel.locator('[name="history-watchlist"]').select_option(wid)
        await panel.locator('[name="history-period"]').select_option("24h")
        status = panel.locator('[data-field="history-status"]')
        await expect(status).to_have_attribute("data-state", "ready")
        count = panel.locator('[data-testid="history-figure"][data-figure="count"]')
        await expect(count.locator('[data-field="current"]')).to_have_text("8")
        await expect(count.locator('[data-field="previous"]')).to_have_text("4")
        negative = panel.locator('[data-testid="history-figure"][data-figure="neg"]')
        await expect(negative.locator('[data-field="previous"]')).to_have_text("4")
        await expect(panel.locator('[data-field="history-comparison"]')).to_have_text(
            "+100% vs the previous 24 h"
        )
        await expect(panel.locator('[data-field="history-chart"]')).to_have_attribute("data-total", "8")
        await page.screenshot(path=str(SCREENSHOT_DIR / "console-history.png"), full_page=True)

        await panel.locator('[name="history-period"]').select_option("1h")
        await expect(panel.locator('[data-field="history-comparison"]')).to_have_text(
            "none in the previous 1 h"
        )
        await expect(count.locator('[data-field="current"]')).to_have_text("8")
        # A custom period the api refuses says why, naming the field.
        await panel.locator('[name="history-period"]').select_option("custom")
        await panel.locator('[name="history-from"]').fill("2020-01-01T00:00")
        await panel.locator('[data-action="show-history"]').click()
        await expect(status).to_have_attribute("data-state", "failed")
        await expect(status).to_contain_text("from: history is kept 90 days")
    finally:
        await page.close()


async def test_the_console_chart_fills_its_box_when_the_history_tab_is_opened(
    browser: Browser, quiet_stack: Stack
) -> None:
    # The console opens on another tab and loads the history of the first watchlist there, hidden: the
    # chart must still fill its box once History is opened, not stay a 50-pixel stamp in its corner.
    async with quiet_stack.http() as client:
        brand = unique("chart")
        await create_watchlist(client, name=brand, keywords=[brand])
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        await page.goto(f"{quiet_stack.base_url}/console.html?key={quiet_stack.admin_key}")
        panel = page.locator('[data-testid="history-panel"]')
        await expect(panel.locator('[data-field="history-status"]')).to_have_attribute(
            "data-state", "ready", timeout=20_000
        )
        await expect(panel).to_be_hidden()
        await page.get_by_role("tab", name="History").click()
        await expect(panel).to_be_visible()
        chart = panel.locator('[data-field="history-chart"]')
        widths = "el => [el.querySelector('canvas')?.getBoundingClientRect().width ?? 0, el.clientWidth]"

        async def filled() -> list[float] | None:
            drawn, box = await chart.evaluate(widths)
            return [drawn, box] if box > 600 and drawn >= 0.95 * box else None

        try:
            await wait_for(filled, timeout_s=10)
        except AssertionError:
            drawn, box = await chart.evaluate(widths)
            raise AssertionError(f"the chart is {drawn:.0f} px wide in its {box} px box") from None
    finally:
        await page.close()


def keys(stack: Stack) -> tuple[Store, KeyStore]:
    store = Store(database_url(stack))
    return store, KeyStore(store.engine)


async def test_a_row_that_cannot_be_refreshed_says_why_and_keeps_its_figures(
    browser: Browser, quiet_stack: Stack
) -> None:
    store, key_store = keys(quiet_stack)
    try:
        record, token = key_store.create_key("a wall about to lose its key", {"display"})
        async with quiet_stack.http() as client:
            quiet = (await create_watchlist(client, name=unique("quiet")))["id"]
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            try:
                await page.goto(f"{quiet_stack.base_url}/?scenes=history24h&token={token}")
                row = page.locator(f'[data-testid="history-row"][data-watchlist="{quiet}"]')
                await expect(row).to_have_attribute("data-state", "ready", timeout=20_000)
                await expect(row.locator('[data-field="total"]')).to_have_text("0")
                await expect(row.locator('[data-field="comparison"]')).to_have_text(
                    "none, as in the previous 24 h"
                )
                # The key is revoked: its open socket stays (api/websocket.md), its history requests are
                # refused. A new watchlist makes the scene ask again at once.
                key_store.revoke(record.id)
                newcomer = (await create_watchlist(client, name=unique("newcomer")))["id"]
                await expect(row).to_have_attribute("data-state", "failed", timeout=20_000)
                message = row.locator('[data-field="message"]')
                await expect(message).to_contain_text(
                    re.compile(r"^Not updated since \d\d:\d\d: authorization")
                )
                await expect(message).to_contain_text("unknown or revoked")
                await expect(row.locator('[data-field="total"]')).to_have_text("0")
                other = page.locator(f'[data-testid="history-row"][data-watchlist="{newcomer}"]')
                await expect(other).to_have_attribute("data-state", "failed")
                await expect(other.locator('[data-field="message"]')).to_contain_text(
                    "Could not load: authorization"
                )
                status = page.locator('[data-testid="history-status"]')
                await expect(status).to_have_attribute("data-state", "failed")
                await expect(status).to_contain_text(re.compile(r"^\d+ of \d+ could not be loaded$"))
            finally:
                await page.close()
    finally:
        store.close()
