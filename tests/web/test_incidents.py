"""Incidents on the wall's alerts scene and in the console (Debian's chromium): incidents first with how
many alerts they hold and what drives them, "+N more" when the scene cannot show every alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from services.alerts.events import AlertEvent, fingerprint
from tests.conftest import unique
from tests.stack import Stack, publish_alert_events, running_stack
from tests.web.test_scenes import open_page


@pytest.fixture(scope="module")
def incident_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(Path(tmp_path_factory.mktemp("incidents"))) as running:
        yield running


def fired(rule: str, watchlist: str, severity: str, at: datetime, details: dict | None = None) -> AlertEvent:
    alert_id = fingerprint(rule, watchlist)
    return AlertEvent(
        event_id=AlertEvent.make_id(alert_id, at, "firing"),
        alert_id=alert_id,
        rule=rule,  # type: ignore[arg-type]
        watchlist=watchlist,
        severity=severity,  # type: ignore[arg-type]
        status="firing",
        summary=f"{watchlist}: {rule} <b>bold</b>",
        details=details or {},
        started_at=at,
        at=at,
    )


async def test_the_wall_and_the_console_show_incidents_first_with_their_why(
    browser: Browser, incident_stack: Stack
) -> None:
    watchlist = unique("crisis")
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    post = {
        "handle": "loud",
        "followers": 2_000_000,
        "text": "acme is down",
        "url": "https://social.example/1",
    }
    why = {"text": "new #acmedown (40); most reached negative @loud", "negative_posts": [post]}
    events = [
        fired("volume_spike", watchlist, "critical", now, {"why": why}),
        fired("coordination", watchlist, "warning", now + timedelta(seconds=10)),
        fired("swarm", watchlist, "info", now + timedelta(seconds=20)),
        *(fired("swarm", unique("loose"), "info", now + timedelta(seconds=30 + i)) for i in range(10)),
    ]
    await publish_alert_events(incident_stack, events)

    base, token = incident_stack.base_url, incident_stack.display_token
    wall = await open_page(browser, f"{base}/?scenes=alerts&token={token}")
    console = await open_page(browser, f"{base}/console.html?key={incident_stack.admin_key}")
    try:
        row = wall.locator(f'[data-testid="incident-row"][data-watchlist="{watchlist}"]')
        await expect(row).to_have_attribute("data-severity", "critical", timeout=20_000)
        await expect(row.locator('[data-field="counts"]')).to_have_text(
            "3 alerts: coordination, swarm, volume spike"
        )
        await expect(row.locator('[data-field="why"]')).to_have_text(f"Why: {why['text']}")
        # 13 open alerts, at most 8 rows (fewer when the incidents above take room): those of the incident
        # first, and the others counted.
        rows = wall.locator('[data-testid="alert-row"]')
        await expect(rows).to_have_count(8)
        await expect(rows.first).to_have_attribute("data-alert", events[0].alert_id)
        shown = await rows.evaluate_all("(rows) => rows.filter((r) => !r.hasAttribute('data-cut')).length")
        assert shown >= 3, f"only {shown} alert rows fit under the incidents"
        await expect(wall.locator('[data-field="alerts-more"]')).to_have_text(f"+{13 - shown} more alerts")
        assert await wall.evaluate("document.querySelectorAll('b').length") == 0, "summaries stay text"

        card = console.locator(f'[data-testid="console-incident"][data-watchlist="{watchlist}"]')
        await expect(card.locator('[data-field="why"]')).to_have_text(f"Why: {why['text']}", timeout=20_000)
        await expect(card.locator('[data-field="counts"]')).to_contain_text("3 alerts")
        await expect(card.locator('[data-field="posts"] a')).to_have_attribute("href", post["url"])
        await expect(card.locator('[data-field="timeline"] li')).to_have_count(3)
        # The loose info alerts are no incident.
        await expect(console.locator('[data-testid="console-incident"]')).to_have_count(1)
    finally:
        await console.close()
        await wall.close()
