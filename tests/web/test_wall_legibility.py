"""What the wall shows must be read whole from across the room, at 1920×1080, in real Chromium: the
influencer board's names and pillar names, the swarm key, and "+N more" wherever more arrived than shown
(the ticker, the alerts scene). A watchlist's own accounts are shown apart from the people who talk about
it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.conftest import create_watchlist, unique, wait_total
from tests.conftest import posted_mention as mention
from tests.stack import Stack, publish_alert_events, running_stack, spike_fired

#: The longest handles the demo makes are 19 characters; journalists' desks run as long.
LONG_HANDLE = "metropolitan_desk_fr"


@pytest.fixture(scope="module")
def quiet_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(Path(tmp_path_factory.mktemp("legible"))) as running:
        yield running


@pytest.fixture
async def api(quiet_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with quiet_stack.http() as client:
        yield client


async def wall(browser: Browser, stack: Stack, scenes: str) -> Page:
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(f"{stack.base_url}/?scenes={scenes}&tz=Europe/Paris&token={stack.display_token}")
    await expect(page.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
    return page


async def shown_whole(box: Locator) -> bool:
    """Not cut: its text fits its own box, and its box fits inside its panel."""
    return bool(
        await box.evaluate(
            """(e) => {
                const panel = e.closest('.panel') || document.body;
                const r = e.getBoundingClientRect(), p = panel.getBoundingClientRect();
                return e.scrollWidth <= e.clientWidth + 1 && r.right <= p.right + 1 && r.left >= p.left - 1;
            }"""
        )
    )


async def test_the_focus_scene_is_read_whole_and_shows_the_brands_own_account_apart(
    browser: Browser, quiet_stack: Stack, api: httpx.AsyncClient
) -> None:
    brand = unique("legible")
    own = "official_" + brand.replace("-", "_")[-10:]
    watchlist = await create_watchlist(api, name=brand, keywords=[brand], handles=[own], group=brand)
    wid = watchlist["id"]
    posted = [
        mention(f"New routes this season from {brand}!", author={"handle": own, "followers": 412_000}),
        mention(
            f"{brand} delays pile up at the airport",
            author={"handle": LONG_HANDLE, "followers": 250_000, "bio": "journalist, transport desk"},
        ),
        *[
            mention(f"{brand} was fine today", author={"handle": f"reader_{i}", "followers": 100 + i})
            for i in range(10)  # more than the board holds
        ],
    ]
    assert (await api.post("/api/v1/mentions", json=posted)).status_code == 202
    await wait_total(api, wid, len(posted))

    page = await wall(browser, quiet_stack, f"focus:{wid}")
    try:
        focus = page.locator('[data-testid="scene"][data-scene="focus"]')
        board = focus.locator('[data-testid="influencer"]')
        await expect(board.first).to_be_visible(timeout=30_000)
        # The brand's own account is not ranked among the people who talk about it: it is listed apart.
        own_row = focus.locator(f'[data-testid="own-account"][data-handle="{own}"]')
        await expect(own_row).to_be_visible(timeout=30_000)
        await expect(focus.locator(f'[data-testid="influencer"][data-handle="{own}"]')).to_have_count(0)
        first = focus.locator('[data-testid="influencer"][data-rank="1"]')
        await expect(first).to_have_attribute("data-handle", LONG_HANDLE)
        await expect(first.locator('[data-field="badge"]')).to_have_text("journalist")
        # Names whole, beside the badge, at 1920×1080.
        name = first.locator('[data-field="handle"]')
        await expect(name).to_have_text(f"@{LONG_HANDLE}")
        for handle in await board.locator('[data-field="handle"]').all():
            assert await shown_whole(handle), await handle.inner_text()
        # A full board with the own accounts' line under it: every row wholly on screen.
        await expect(board).to_have_count(7)
        cut = await board.evaluate_all(
            "(rows) => { const b = rows[0].parentElement.getBoundingClientRect().bottom;"
            " return rows.filter((r) => r.getBoundingClientRect().bottom > b + 1).length; }"
        )
        assert cut == 0, f"{cut} influencer rows cut at the bottom of the board"
        # The pillars are named in full, large enough to read from across the room.
        panel = focus.locator(".focus__influencers")
        for pillar in ("Reach", "Resonance", "Relevance"):
            key = panel.locator(".key", has_text=pillar)
            await expect(key).to_be_visible()
            assert await shown_whole(key), pillar
            size = await key.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)")
            assert size >= 12, f"{pillar} at {size} px"
        # The swarm key is whole: every state it names is on screen.
        for state in ("emerging", "growing", "peaking", "fading"):
            key = focus.locator(".focus__swarms .key", has_text=state)
            await expect(key).to_be_visible()
            assert await shown_whole(key), state
    finally:
        await page.close()


#: Whether a tile's figures are each whole (value and label) and clear of the next figure and of its edge.
FIGURES_WHOLE = """(tile) => {
    const edge = tile.getBoundingClientRect().right;
    const figs = [...tile.querySelectorAll('.fig')];
    return figs.every((fig, i) => {
        const right = fig.getBoundingClientRect().right;
        const limit = i + 1 < figs.length ? figs[i + 1].getBoundingClientRect().left : edge;
        return right <= limit + 0.5 && [...fig.children].every((e) => e.scrollWidth <= e.clientWidth + 1);
    });
}"""


async def test_a_tile_in_a_crisis_shows_its_widest_figures_whole(
    browser: Browser, quiet_stack: Stack, api: httpx.AsyncClient
) -> None:
    """Thousands of complaints a minute: "10.5k", "−100" and "100%" side by side, none cut or run together."""
    brand = unique("surge")
    wid = (await create_watchlist(api, name=brand, keywords=[brand], group=brand))["id"]
    # A wall of six or more watchlists: three tiles a row, each as narrow as a demo brand's.
    for _ in range(5):
        calm = unique("calm")
        await create_watchlist(api, name=calm, keywords=[calm], group=calm)
    page = await wall(browser, quiet_stack, "overview")
    try:
        tile = page.locator(f'[data-testid="tile"][data-watchlist="{wid}"]')
        await expect(tile.locator('[data-field="net"]')).to_have_text("—")
        # The labels are whole on a calm tile too ("net sentiment 5m" used to end in "…").
        assert await tile.evaluate(FIGURES_WHOLE)
        text = f"{brand} lost my bags again, terrible service, never again"
        for _ in range(3):
            batch = [mention(text) for _ in range(3_500)]
            assert (await api.post("/api/v1/mentions", json=batch)).status_code == 202
        await wait_total(api, wid, 10_500)
        await expect(tile.locator('[data-field="per-min"]')).to_have_text(re.compile(r"^\d+\.\dk$"))
        await expect(tile.locator('[data-field="net"]')).to_have_text("\u2212100")
        await expect(tile.locator('[data-field="share"]')).to_have_text("100%")
        # The row of figures is scaled to fit on the next frame after its text grew.
        for _ in range(20):
            if await tile.evaluate(FIGURES_WHOLE):
                break
            await asyncio.sleep(0.1)
        assert await tile.evaluate(FIGURES_WHOLE), await tile.locator(".tile__figures").inner_text()
    finally:
        await page.close()


async def test_the_ticker_says_how_many_more_arrived_and_shows_the_most_reached(
    browser: Browser, quiet_stack: Stack, api: httpx.AsyncClient
) -> None:
    brand = unique("flood")
    wid = (await create_watchlist(api, name=brand, keywords=[brand], group=brand))["id"]
    page = await wall(browser, quiet_stack, f"focus:{wid}")
    try:
        flood = [
            mention(f"{brand} flood {i}", author={"handle": f"f{i}_{brand}", "followers": 10 * i})
            for i in range(20)
        ]
        flood[7]["author"] = {"handle": f"big_{brand}", "followers": 900_000}
        assert (await api.post("/api/v1/mentions", json=flood)).status_code == 202
        items = page.locator('[data-testid="ticker-item"]')
        # The api spreads a request over the raw partitions, so the burst reaches the worker as a few
        # batches: a line or two, which say how many more arrived: every one of the 20 is accounted for.
        accounted = """(items) => items.reduce((n, li) => {
            const more = li.querySelector('[data-field="more"]');
            return n + 1 + (more ? Number(more.textContent.match(/\\d+/)[0]) : 0);
        }, 0)"""
        for _ in range(100):
            if await items.evaluate_all(accounted) >= len(flood):
                break
            await asyncio.sleep(0.2)
        assert await items.evaluate_all(accounted) == len(flood), await items.all_inner_texts()
        assert await items.count() < 5, await items.all_inner_texts()
        # The most-reached of the burst is among the lines shown.
        await expect(items.locator('[data-field="author"]', has_text=f"@big_{brand}")).to_have_count(1)
        await expect(items.locator('[data-field="more"]').first).to_have_text(re.compile(r"^\+\d+ more$"))
    finally:
        await page.close()


async def test_the_alerts_scene_says_how_many_it_cannot_show(
    browser: Browser, quiet_stack: Stack, api: httpx.AsyncClient
) -> None:
    brand = unique("many")
    wid = (await create_watchlist(api, name=brand, keywords=[brand], group=brand))["id"]
    await publish_alert_events(quiet_stack, [spike_fired(wid, f"al-{brand}-{i}") for i in range(40)])

    async def open_alerts() -> int:
        listed = (await api.get("/api/v1/alerts", params={"status": "firing"})).json()
        return len(listed)

    page = await wall(browser, quiet_stack, "alerts")
    try:
        rows = page.locator('[data-testid="alert-row"]')
        more = page.locator('[data-testid="alerts-more"]')
        # At most MAX_ALERT_ROWS (8) rows, legible from across the room, fewer when incidents above take
        # room; the rest are counted, in words.
        await expect(more).to_have_text(re.compile(r"^\+\d+ more alerts$"), timeout=30_000)
        hidden = int(await more.get_attribute("data-count") or 0)
        await expect(more).to_have_text(f"+{hidden} more alerts")
        in_view = await rows.evaluate_all(
            "(rows) => rows.filter((r) => getComputedStyle(r).visibility !== 'hidden'"
            " && r.getBoundingClientRect().bottom <= window.innerHeight + 1).length"
        )
        shown = await rows.evaluate_all("(rows) => rows.filter((r) => !r.hasAttribute('data-cut')).length")
        assert 3 <= in_view == shown <= 8, "every row shown is wholly on the screen"
        assert hidden + shown == await open_alerts(), "every open alert is shown or counted"
    finally:
        await page.close()
