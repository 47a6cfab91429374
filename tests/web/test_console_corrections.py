"""People correct the machine in the console, in real headless Chromium against `vigie run`: an operator
finds a mention in Search and sets its sentiment; the row says who corrected it and what the model said, the
Recent mentions list shows the new label, and the watchlist's counts move."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Browser, expect

from tests.conftest import create_watchlist, metrics, posted_mention, unique, wait_for, wait_total
from tests.stack import Stack


async def test_an_operator_corrects_a_mentions_sentiment_from_search(
    browser: Browser, stack: Stack, client: httpx.AsyncClient
) -> None:
    brand = unique("fix").replace("-", "")
    watchlist = (await create_watchlist(client, name=brand, keywords=[brand]))["id"]
    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await page.goto(f"{stack.base_url}/console.html?key={stack.admin_key}#mentions")
        await expect(page.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
        await page.locator('[data-testid="operator"]').fill("ana")
        mention = posted_mention(f"@{brand} thanks for nothing", minutes_ago=1, lang="en")
        assert (await client.post("/api/v1/mentions", json=[mention])).status_code == 202
        await wait_total(client, watchlist, 1)

        async def archived() -> Any:
            found = (await client.get("/api/v1/mentions/search", params={"q": brand})).json()["items"]
            return found[0] if found else None

        model_label = (await archived_within(archived))["sentiment"]["label"]
        wanted = "pos" if model_label == "neg" else "neg"
        recent = page.locator(f'[data-testid="console-mention"][data-mention="{mention["id"]}"]')
        await expect(recent).to_have_attribute(
            "data-label", model_label
        )  # the live sample, as the model said

        await page.locator('[data-testid="nav-tab"][data-panel="search-panel"]').click()
        form = page.locator('[data-testid="search-form"]')
        await form.locator('[name="q"]').fill(brand)
        await form.locator('button[type="submit"]').click()
        row = page.locator(f'[data-testid="search-result"][data-mention="{mention["id"]}"]')
        await expect(row).to_have_attribute("data-label", model_label)
        await row.locator('[data-testid="correct-sentiment"]').select_option(wanted)

        await expect(row).to_have_attribute("data-label", wanted)
        names = {"neg": "negative", "neu": "neutral", "pos": "positive"}
        await expect(row.locator('[data-testid="correction"]')).to_contain_text(
            "corrected by ana (key tests admin)"
        )
        await expect(row.locator('[data-testid="correction"]')).to_contain_text(
            f"model: {names[model_label]}"
        )
        await expect(recent).to_have_attribute("data-label", wanted)  # the Recent mentions list follows
        await expect(recent.locator('[data-testid="correct-sentiment"]')).to_have_value(wanted)

        async def moved() -> bool:
            hour = (await metrics(client, watchlist))["windows"]["60m"]
            return bool(hour[wanted] == 1 and hour[model_label] == 0 and hour["count"] == 1)

        await wait_for(moved, timeout_s=20)
        await page.screenshot(path=str(stack.data_dir / "console-correction.png"))
        assert errors == []
    finally:
        await page.close()


async def archived_within(check: Any) -> Any:
    return await wait_for(check, timeout_s=60)
