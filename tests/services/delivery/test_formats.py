from __future__ import annotations

import time

import orjson
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.alerts.drivers import Drivers
from services.alerts.events import decode_event
from services.delivery import formats
from services.delivery.endpoints import Endpoint, new_webhook_secret
from tests.services.delivery.conftest import make_event

LINK = "https://vigie.example/#/alerts/al_1"


def test_a_signed_webhook_verifies_with_the_standard_webhooks_library_and_carries_the_event() -> None:
    endpoint = Endpoint(kind="webhook", url="https://hooks.example.com/x")
    event = make_event()
    request = formats.webhook_request(endpoint, event, int(time.time()))
    assert request.headers["webhook-id"] == event.event_id
    assert request.headers["webhook-signature"].startswith("v1,")
    assert endpoint.secret is not None
    Webhook(endpoint.secret).verify(request.body, request.headers)
    assert decode_event(request.body) == event


def test_a_tampered_body_or_another_secret_fails_verification() -> None:
    endpoint = Endpoint(kind="webhook", url="https://hooks.example.com/x")
    request = formats.webhook_request(endpoint, make_event(), int(time.time()))
    with pytest.raises(WebhookVerificationError):
        Webhook(new_webhook_secret()).verify(request.body, request.headers)
    assert endpoint.secret is not None
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(request.body.replace(b"critical", b"info"), request.headers)


def test_redelivery_keeps_the_webhook_id_and_signs_with_the_new_time() -> None:
    endpoint = Endpoint(kind="webhook", url="https://hooks.example.com/x")
    event = make_event()
    first = formats.webhook_request(endpoint, event, 1_700_000_000)
    again = formats.webhook_request(endpoint, event, 1_700_000_300)
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert first.body == again.body
    assert first.headers["webhook-signature"] != again.headers["webhook-signature"]


@pytest.mark.parametrize(
    ("status", "action"), [("firing", "trigger"), ("acknowledged", "acknowledge"), ("resolved", "resolve")]
)
def test_pagerduty_follows_the_alert_with_its_id_as_dedup_key(status: str, action: str) -> None:
    event = make_event(status, alert="x", severity="warning")
    message = formats.pagerduty_event(event, "R0UTE", LINK)
    assert message["event_action"] == action
    assert message["dedup_key"] == event.alert_id
    assert message["routing_key"] == "R0UTE"
    if action == "trigger":
        payload = message["payload"]
        assert isinstance(payload, dict)
        assert payload["severity"] == "warning"
        assert event.summary in payload["summary"] and payload["source"] == "vigie/acme"
        assert payload["custom_details"]["ratio"] == 4.2
        assert message["links"] == [{"href": LINK, "text": "Open in Vigie"}]


def test_slack_text_names_severity_watchlist_summary_and_links_back() -> None:
    event = make_event(watchlist="acme", summary="Negative <b>surge</b> & more")
    message = formats.slack_message(event, LINK)
    text = message["text"]
    assert isinstance(text, str)
    assert "CRITICAL" in text and "acme" in text and f"<{LINK}|Open in Vigie>" in text
    assert "&lt;b&gt;surge&lt;/b&gt; &amp; more" in text  # user text cannot inject Slack links
    assert orjson.loads(formats.slack_request(Endpoint(kind="slack", url=LINK), event, LINK).body) == message


def test_email_has_severity_and_summary_in_the_subject_and_a_stable_message_id() -> None:
    event = make_event("acknowledged", by="maya", alert="mail")
    mail = formats.email_message(event, "oncall@example.com", "alerts@vigie.example", LINK)
    again = formats.email_message(event, "oncall@example.com", "alerts@vigie.example", LINK)
    assert mail["Subject"] == f"[Vigie] CRITICAL ACKNOWLEDGED: {event.summary}"
    assert mail["Message-ID"] == again["Message-ID"]
    assert mail["Message-ID"].endswith("@vigie.example>") and event.alert_id in mail["Message-ID"]
    firing = formats.email_message(
        make_event(alert="mail"), "oncall@example.com", "alerts@vigie.example", LINK
    )
    assert firing["Message-ID"] != mail["Message-ID"]
    assert firing["References"] == mail["References"]  # one thread per alert episode
    body = mail.get_content()
    assert "by maya" in body and LINK in body and "ratio: 4.2" in body


def test_every_channel_says_what_drives_the_alert() -> None:
    why = Drivers()
    for second in range(240):  # a new hashtag in the last minutes, absent from the hour before
        why.add_hashtags(["acme"], 1_800_000_000 + second, ["acmedown"] if second % 20 == 0 else [])
    post = {
        "handle": "loud",
        "followers": 2_000_000,
        "press": False,
        "text": "acme is down",
        "url": "https://x/1",
    }
    event = make_event(details={"ratio": 4.2, "why": why.why("acme", 1_800_000_240, [post])})
    assert (
        event.details["why"]["text"]
        == "new #acmedown (12); most reached negative @loud (2,000,000 followers)"
    )
    endpoint = Endpoint(kind="webhook", url="https://hooks.example.com/x")
    assert orjson.loads(formats.webhook_request(endpoint, event, 0).body)["details"]["why"]["new_hashtags"]
    slack = formats.slack_message(event, LINK)
    assert "why: new #acmedown" in str(slack["text"]) and "https://x/1" in orjson.dumps(slack).decode()
    pagerduty = formats.pagerduty_event(event, "R0UTING", LINK)
    assert pagerduty["payload"]["custom_details"]["why"]["negative_posts"][0]["url"] == "https://x/1"  # type: ignore[index]
    mail = formats.email_message(event, "ana@example.com", "vigie@example.com", LINK).get_content()
    assert "Why: new #acmedown (12)" in mail and "- @loud: acme is down https://x/1" in mail
