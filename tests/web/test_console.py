"""The operator console in real Chromium against `vigie run`: every panel one click away, alerts filtered and
acknowledged in bulk, delivery endpoints and subscriptions created and edited, a test sent to a real receiver
whose answer the console shows, and a query editor that warns about lower-case operators."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.requests import Request
from starlette.responses import Response

from tests.conftest import create_watchlist, unique, wait_for
from tests.services.delivery.receivers import HttpReceiver
from tests.stack import Stack, publish_alert_events, running_stack, spike_fired
from tests.web.test_wall import SCREENSHOT_DIR


@pytest.fixture(scope="module")
def console_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # The receivers of these tests listen on loopback.
    loopback = {"VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS": "true"}
    with running_stack(Path(tmp_path_factory.mktemp("console")), extra_env=loopback) as running:
        yield running


@pytest.fixture
async def api(console_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with console_stack.http() as client:
        yield client


@pytest.fixture
async def console(browser: Browser, console_stack: Stack) -> AsyncIterator[Page]:
    page = await browser.new_page(viewport={"width": 1440, "height": 1000})
    await page.goto(f"{console_stack.base_url}/console.html?key={console_stack.admin_key}")
    await expect(page.locator('[data-testid="connection"]')).to_have_attribute("data-state", "live")
    await page.fill('[data-testid="operator"]', "ana")
    try:
        yield page
    finally:
        await page.close()


async def open_panel(page: Page, panel: str) -> None:
    await page.click(f'[data-testid="nav-tab"][data-panel="{panel}"]')
    await expect(page.locator(f"#{panel}")).to_be_visible()


class SigningReceiver:
    """A webhook receiver that checks Standard Webhooks signatures with the secret Vigie showed once, and
    answers 202 with a line naming what it queued (what the console must show)."""

    def __init__(self) -> None:
        self.secret = ""
        self.events: list[dict[str, object]] = []

    async def __call__(self, request: Request, body: bytes) -> Response:
        try:
            event = Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError as error:
            return Response(f"bad signature: {error}", 401)
        self.events.append(event)
        return Response(f"queued {request.headers['webhook-id']}", 202)


async def test_every_panel_is_one_click_away_and_the_address_keeps_it(
    console: Page, console_stack: Stack
) -> None:
    tabs = console.locator('[data-testid="nav-tab"]')
    labels = await tabs.all_inner_texts()
    assert [label.split()[0] for label in labels] == [
        "Incidents",
        "Alerts",
        "Watchlists",
        "Mentions",
        "History",
        "Search",
        "Delivery",
    ]
    await expect(console.locator("#incidents-panel")).to_be_visible()  # incidents first
    panels = (
        "incidents-panel",
        "alerts-panel",
        "watchlists-panel",
        "mentions-panel",
        "search-panel",
        "delivery-panel",
    )
    for panel in ("delivery-panel", "mentions-panel", "watchlists-panel", "alerts-panel", "history-panel"):
        await open_panel(console, panel)
        for other in panels:
            if other != panel:
                await expect(console.locator(f"#{other}")).to_be_hidden()
        # Reachable without scrolling past every alert: the panel starts on the first screen.
        top = await console.locator(f"#{panel}").evaluate("(e) => e.getBoundingClientRect().top")
        assert top < 200, f"{panel} starts {top} px down"
    await open_panel(console, "delivery-panel")
    assert console.url.endswith("#delivery")
    await console.reload()
    await expect(console.locator("#delivery-panel")).to_be_visible()
    await expect(console.locator('[data-testid="nav-tab"][data-panel="delivery-panel"]')).to_have_attribute(
        "aria-selected", "true"
    )


async def test_alerts_are_filtered_and_acknowledged_in_bulk(
    console: Page, console_stack: Stack, api: httpx.AsyncClient
) -> None:
    brand, other = unique("bulk"), unique("other")
    wid = (await create_watchlist(api, name=brand, keywords=[brand], group=brand))["id"]
    oid = (await create_watchlist(api, name=other, keywords=[other], group=other))["id"]
    mine = [f"al-{brand}-{i}" for i in range(3)]
    await publish_alert_events(
        console_stack, [*(spike_fired(wid, a) for a in mine), spike_fired(oid, f"al-{other}-0")]
    )
    await open_panel(console, "alerts-panel")
    cards = console.locator('[data-testid="console-alert"]')
    for alert_id in [*mine, f"al-{other}-0"]:
        card = console.locator(f'[data-testid="console-alert"][data-alert="{alert_id}"]')
        await expect(card).to_be_visible(timeout=30_000)
    await console.select_option('[data-testid="alert-filter-watchlist"]', wid)
    await expect(cards).to_have_count(3)
    await console.select_option('[data-testid="alert-filter-severity"]', "critical")
    await expect(cards).to_have_count(0)  # these are warnings
    await console.select_option('[data-testid="alert-filter-severity"]', "warning")
    await console.select_option('[data-testid="alert-filter-status"]', "firing")
    await expect(cards).to_have_count(3)
    await console.click('[data-action="select-all"]')
    await console.click('[data-testid="acknowledge-selected"]')
    await expect(cards).to_have_count(0)  # none firing is left on this watchlist
    await console.select_option('[data-testid="alert-filter-status"]', "acknowledged")
    await expect(cards).to_have_count(3)
    for alert_id in mine:
        alert = (await api.get(f"/api/v1/alerts/{alert_id}")).json()
        # Who acted is the console's key; the name typed is kept as the note.
        assert (alert["status"], alert["by"], alert["note"]) == ("acknowledged", "tests admin", "ana"), alert
    other_alert = (await api.get(f"/api/v1/alerts/al-{other}-0")).json()
    assert other_alert["status"] == "firing", "an alert the filters hid was acknowledged"


async def test_endpoints_and_subscriptions_are_made_in_the_console_and_a_test_shows_the_answer(
    console: Page, api: httpx.AsyncClient
) -> None:
    receiver_handler = SigningReceiver()
    receiver = HttpReceiver(receiver_handler)
    await receiver.start()
    try:
        await open_panel(console, "delivery-panel")
        name = unique("hook")
        form = console.locator('[data-testid="endpoint-form"]')
        await form.locator('select[name="kind"]').select_option("webhook")
        await form.locator('input[name="name"]').fill(name)
        await form.locator('input[name="url"]').fill(receiver.url)
        await form.locator('button[type="submit"]').click()
        status = console.locator('[data-testid="endpoint-form-status"]')
        await expect(status).to_contain_text("signing secret, shown once: whsec_")
        receiver_handler.secret = re.findall(r"whsec_\S+", await status.inner_text())[0]
        await expect(form.locator('[data-field="title"]')).to_have_text(f"Edit endpoint {name}")

        row = console.locator('[data-testid="console-endpoint"]', has_text=name)
        await row.locator('[data-action="test"]').click()
        answer = row.locator('[data-testid="endpoint-test-answer"]')
        await expect(answer).to_have_attribute("data-outcome", "delivered", timeout=15_000)
        await expect(answer).to_contain_text("HTTP 202")
        await expect(answer).to_contain_text("answered: queued ")
        [event] = receiver_handler.events
        assert event["details"] == {"test": True} and event["severity"] == "info", event

        # Edited (a PUT): the webhook keeps its signing secret, so the receiver still accepts it.
        await form.locator('input[name="name"]').fill(f"{name} renamed")
        await form.locator('button[type="submit"]').click()
        await expect(status).to_contain_text(f"Saved {name} renamed")
        row = console.locator('[data-testid="console-endpoint"]', has_text=f"{name} renamed")
        await row.locator('[data-action="test"]').click()
        await expect(row.locator('[data-testid="endpoint-test-answer"]')).to_contain_text("HTTP 202")
        assert len(receiver_handler.events) == 2

        # A subscription on that endpoint, then edited.
        endpoint_id = await row.get_attribute("data-endpoint")
        sub = console.locator('[data-testid="subscription-form"]')
        person = unique("ana")
        await sub.locator('input[name="name"]').fill(person)
        await sub.locator('select[name="channel"]').select_option(endpoint_id)
        await sub.locator('select[name="min_severity"]').select_option("critical")
        await sub.locator('button[type="submit"]').click()
        sub_status = console.locator('[data-testid="subscription-form-status"]')
        await expect(sub_status).to_contain_text(f"Saved {person}")
        await sub.locator('select[name="min_severity"]').select_option("info")
        await sub.locator('button[type="submit"]').click()
        listed = console.locator('[data-testid="console-subscription"]', has_text=person)
        await expect(listed).to_contain_text("info+")

        async def saved() -> dict[str, object] | None:
            subscriptions = (await api.get("/api/v1/subscriptions")).json()
            mine = [s for s in subscriptions if s["name"] == person and s["min_severity"] == "info"]
            return mine[0] if mine else None

        found = await wait_for(saved)
        assert found["channel"] == endpoint_id
        await asyncio.to_thread(SCREENSHOT_DIR.mkdir, parents=True, exist_ok=True)
        await console.screenshot(path=str(SCREENSHOT_DIR / "console-delivery.png"))
    finally:
        await receiver.stop()


async def test_the_query_editor_warns_of_lower_case_operators_and_counts_characters_like_the_save(
    console: Page,
) -> None:
    await open_panel(console, "watchlists-panel")
    form = console.locator('[data-testid="watchlist-form"]')
    query = form.locator('[data-testid="query-input"]')
    await query.fill("Aerolis and delay")
    await expect(console.locator('[data-testid="query-status"]')).to_have_attribute("data-valid", "true")
    await expect(console.locator('[data-testid="query-warnings"] li')).to_have_count(1)
    await expect(console.locator('[data-testid="query-warnings"]')).to_contain_text("write AND")

    name = unique("editor")
    await form.locator('input[name="name"]').fill(name)
    bad = "(Aerolis OR delay) AND NOT"
    await query.fill(bad)
    live = console.locator('[data-testid="query-status"]')
    await expect(live).to_have_attribute("data-valid", "false")
    live_at = re.search(r"character (\d+)", await live.inner_text())
    await form.locator('button[type="submit"]').click()
    saved = console.locator('[data-testid="watchlist-form-status"]')
    await expect(saved).to_contain_text("Not saved")
    save_at = re.search(r"character (\d+)", await saved.inner_text())
    assert live_at and save_at and live_at.group(1) == save_at.group(1), (
        await live.inner_text(),
        await saved.inner_text(),
    )

    await query.fill("Aerolis AND delay")
    await form.locator('button[type="submit"]').click()
    await expect(saved).to_contain_text(f"Saved {name}")
    await expect(form.locator('[data-field="form-title"]')).to_have_text(f"Edit {name}")


async def test_a_console_whose_key_is_refused_says_so_instead_of_reconnecting(
    browser: Browser, console_stack: Stack
) -> None:
    page = await browser.new_page()
    try:
        # A key from an earlier run (each `vigie run` revokes the previous console key): unknown here.
        await page.goto(f"{console_stack.base_url}/console.html?key=vk_revokedbyalaterrunofvigie00000")
        await expect(page.locator('[data-testid="connection"]')).to_have_attribute(
            "data-state", "refused", timeout=15_000
        )
        await expect(page.locator('[data-testid="console-error"]')).to_contain_text("key was refused")
    finally:
        await page.close()
