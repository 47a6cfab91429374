"""The console's archive search in real headless Chromium against `vigie run`: a person types a query,
sees the matching mentions (as text), and gets export links for the same search."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Browser, expect

from tests.conftest import create_watchlist, posted_mention, unique, wait_for
from tests.stack import Stack


async def test_the_console_searches_the_archive_and_links_its_exports(
    browser: Browser, stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("look").replace("-", "")
    await create_watchlist(client, name=brand, keywords=[brand])
    posted = [
        posted_mention(f"{brand} <img src=x onerror=alert(1)> delayed again", minutes_ago=2),
        posted_mention(f"{brand} lovely crew, thank you", minutes_ago=1),
        posted_mention(f"{brand} delayed, no news", minutes_ago=3),
    ]
    assert (await client.post("/api/v1/mentions", json=posted)).status_code == 202

    async def archived() -> Any:
        found = await client.get("/api/v1/mentions/search", params={"q": brand})
        return len(found.json()["items"]) == len(posted)

    await wait_for(archived, timeout_s=60)
    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
    try:
        await page.goto(f"{stack.base_url}/console.html?key={stack.admin_key}#search")
        form = page.locator('[data-testid="search-form"]')
        await form.locator('[name="q"]').fill(f"{brand} AND delay*")
        await form.locator('button[type="submit"]').click()
        rows = page.locator('[data-testid="search-result"]')
        await expect(rows).to_have_count(2)
        ids = [await rows.nth(i).get_attribute("data-mention") for i in range(2)]
        assert ids == [posted[0]["id"], posted[2]["id"]]  # newest first
        await expect(rows.first).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
        await expect(page.locator('[data-testid="search-status"]')).to_have_text("2 mentions")
        freshness = page.locator('[data-testid="search-archive"]')  # how current the archive is
        await expect(freshness).to_contain_text("Archive complete up to")
        await expect(freshness).not_to_have_attribute("data-warning", "true")

        csv_href = await page.locator('[data-testid="export-csv"]').get_attribute("href")
        assert csv_href is not None and "format=csv" in csv_href
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as anyone:  # the link's own key
            exported = await anyone.get(csv_href)
        assert exported.status_code == 200, exported.text
        assert [line.split(",")[0] for line in exported.text.splitlines()[1:]] == ids

        await form.locator('[name="q"]').fill(f"{brand} AND")
        await form.locator('button[type="submit"]').click()
        status = page.locator('[data-testid="search-status"]')
        await expect(status).to_have_attribute("data-error", "true")
        await expect(status).to_contain_text("q: at")
    finally:
        await page.close()
