"""The wall after a restart of `vigie run`, in Chromium: the tile of a brand shows the same figures and the
same sparkline as before the restart, read from the history kept in the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.conftest import create_watchlist, posted_mention, unique, wait_history_count, wait_total
from tests.stack import Stack, start_stack

FIELDS = ("per-min-15m", "net", "peak")


async def tile_figures(browser: Browser, stack: Stack, watchlist_id: str) -> dict[str, str]:
    """What the wall's tile of `watchlist_id` shows, once it shows the 16 mentions posted."""
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        await page.goto(f"{stack.base_url}/?scenes=overview&token={stack.display_token}")
        tile = page.locator(f'[data-testid="tile"][data-watchlist="{watchlist_id}"]')
        sparkline = tile.locator('[data-field="sparkline"]')
        await expect(sparkline).to_have_attribute("data-peak", "12", timeout=30_000)
        figures = {
            field: (await tile.locator(f'[data-field="{field}"]').inner_text()).strip() for field in FIELDS
        }
        figures["tone"] = await tile.get_attribute("data-tone") or ""
        figures["sparkline-points"] = await sparkline.get_attribute("data-points") or ""
        return figures
    finally:
        await page.close()


async def test_the_wall_shows_the_same_tile_after_a_restart(browser: Browser, tmp_path: Path) -> None:
    stack: Stack = await asyncio.to_thread(start_stack, tmp_path)
    try:
        async with stack.http() as client:
            brand = unique("steadfast")
            watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
            # A peak of 12 complaints four minutes ago, and 4 kind words eight minutes ago.
            posts = [
                posted_mention(f"{brand} cancelled my flight, terrible service", minutes_ago=4)
                for _ in range(12)
            ]
            posts += [posted_mention(f"{brand} lovely crew, thank you", minutes_ago=8) for _ in range(4)]
            assert (await client.post("/api/v1/mentions", json=posts)).status_code == 202
            await wait_total(client, watchlist, len(posts))
            await wait_history_count(client, watchlist, len(posts))
        before = await tile_figures(browser, stack, watchlist)
        await asyncio.to_thread(stack.stop)

        stack = await asyncio.to_thread(start_stack, tmp_path)
        after = await tile_figures(browser, stack, watchlist)
        print(f"\nbefore the restart: {before}\nafter it: {after}")
        assert after == before
        assert before["peak"] and before["tone"] == "neg"
    finally:
        await asyncio.to_thread(stack.stop)
