"""What each channel receives for one alert event: pure functions from an `AlertEvent` to a request or a mail.

- webhook: the event as JSON, signed per Standard Webhooks (webhook-id = event_id, so a redelivery carries
  the same id and the receiver can deduplicate; webhook-timestamp = the time of the attempt);
- slack: an incoming-webhook message (`text`, plus `blocks` for a richer layout);
- pagerduty: an Events API v2 event whose dedup_key is the alert id, so PagerDuty's incident follows the
  alert through trigger, acknowledge and resolve;
- email: a plain-text mail whose Message-ID derives from event_id (clients drop a redelivered copy) and
  whose References name the alert's episode (clients thread its changes together).
Every one says what drives the alert (`details["why"]`, services/alerts/drivers.py): the webhook and
PagerDuty carry it whole (PagerDuty in `custom_details`), Slack and e-mail as a "Why" line plus the links
of the most-reached negative posts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import msgspec
import orjson

from services.alerts.events import AlertEvent, encode_event
from services.delivery.endpoints import SECRET_PREFIX, Endpoint

USER_AGENT = "Vigie-Delivery/1"
_PAGERDUTY_ACTIONS = {"firing": "trigger", "acknowledged": "acknowledge", "resolved": "resolve"}
_STATUS_WORDS = {"firing": "FIRING", "acknowledged": "ACKNOWLEDGED", "resolved": "RESOLVED"}
_SEVERITY_ICONS = {
    "critical": ":red_circle:",
    "warning": ":large_orange_circle:",
    "info": ":large_blue_circle:",
}
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")


class HttpRequest(msgspec.Struct, frozen=True):
    """One POST to make: the body exactly as signed."""

    url: str
    headers: dict[str, str]
    body: bytes


def alert_link(public_url: str, event: AlertEvent) -> str:
    """Where a person opens the alert in Vigie."""
    return f"{public_url.rstrip('/')}/#/alerts/{event.alert_id}"


def sign(secret: str, msg_id: str, timestamp_s: int, body: bytes) -> str:
    """The Standard Webhooks signature header value: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = msg_id.encode() + b"." + str(timestamp_s).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.digest(key, signed, hashlib.sha256)).decode()


def webhook_request(endpoint: Endpoint, event: AlertEvent, now_s: int) -> HttpRequest:
    assert endpoint.url is not None and endpoint.secret is not None, "validated by Endpoint"
    body = encode_event(event)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.event_id,
        "webhook-timestamp": str(now_s),
        "webhook-signature": sign(endpoint.secret, event.event_id, now_s, body),
    }
    return HttpRequest(endpoint.url, headers, body)


def _slack_escape(text: str) -> str:
    """Slack mrkdwn control characters in user text (a brand name with '<' must not become a link)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(event: AlertEvent, link: str) -> dict[str, object]:
    headline = (
        f"{_SEVERITY_ICONS[event.severity]} *{event.severity.upper()}* {_STATUS_WORDS[event.status]} · "
        f"{_slack_escape(event.watchlist)}: {_slack_escape(event.summary)}"
    )
    context = f"rule `{event.rule}` · since {event.started_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if event.who:
        context += f" · by {_slack_escape(event.who)}"
    blocks: list[dict[str, object]] = [{"type": "section", "text": {"type": "mrkdwn", "text": headline}}]
    why = why_lines(event)
    if why:
        text = "\n".join(_slack_escape(line) for line in why)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{context} · <{link}|Open in Vigie>"}]}
    )
    reason = f" · why: {_slack_escape(why[0].removeprefix('Why: '))}" if why else ""
    return {"text": f"{headline}{reason} <{link}|Open in Vigie>", "blocks": blocks}


def why_lines(event: AlertEvent) -> list[str]:
    """What drives the alert, for a person: one "Why" line, then the most-reached negative posts."""
    why = event.details.get("why")
    if not isinstance(why, dict):
        return []
    lines = [f"Why: {why.get('text', '')}"]
    for post in why.get("negative_posts") or []:
        lines.append(
            f"- @{post.get('handle')}: {str(post.get('text', ''))[:140]} {post.get('url') or ''}".rstrip()
        )
    return lines


def slack_request(endpoint: Endpoint, event: AlertEvent, link: str) -> HttpRequest:
    assert endpoint.url is not None, "validated by Endpoint"
    headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    return HttpRequest(endpoint.url, headers, orjson.dumps(slack_message(event, link)))


def pagerduty_event(event: AlertEvent, routing_key: str, link: str) -> dict[str, object]:
    """A PagerDuty Events API v2 event; Vigie's severities (info, warning, critical) are PagerDuty's too."""
    message: dict[str, object] = {
        "routing_key": routing_key,
        "event_action": _PAGERDUTY_ACTIONS[event.status],
        "dedup_key": event.alert_id,
        "client": "Vigie",
        "client_url": link,
    }
    if event.status == "firing":
        message["payload"] = {
            "summary": f"[{event.watchlist}] {event.summary}"[:1024],
            "source": f"vigie/{event.watchlist}",
            "severity": event.severity,
            "timestamp": event.at.isoformat(),
            "component": event.watchlist,
            "group": event.subject or event.watchlist,
            "class": event.rule,
            "custom_details": {**event.details, "event_id": event.event_id, "subject": event.subject},
        }
        message["links"] = [{"href": link, "text": "Open in Vigie"}]
    return message


def pagerduty_request(endpoint: Endpoint, event: AlertEvent, link: str) -> HttpRequest:
    assert endpoint.url is not None and endpoint.routing_key is not None, "validated by Endpoint"
    headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    return HttpRequest(
        endpoint.url, headers, orjson.dumps(pagerduty_event(event, endpoint.routing_key, link))
    )


def _message_id(local: str, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "vigie.invalid"
    return f"<{_NOT_ATEXT.sub('.', local)}@{domain}>"


def _epoch_s(moment: datetime) -> int:
    return int(moment.timestamp())


def email_message(event: AlertEvent, to: str, sender: str, link: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = f"[Vigie] {event.severity.upper()} {_STATUS_WORDS[event.status]}: {event.summary}"
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = format_datetime(event.at)
    mail["Message-ID"] = _message_id(event.event_id, sender)
    mail["References"] = _message_id(f"{event.alert_id}.{_epoch_s(event.started_at)}", sender)
    lines = [
        event.summary,
        "",
        f"Status:    {event.status}" + (f" (by {event.who})" if event.who else ""),
        f"Severity:  {event.severity}",
        f"Watchlist: {event.watchlist}",
        f"Rule:      {event.rule}" + (f" on {event.subject}" if event.subject else ""),
        f"Since:     {event.started_at.isoformat()}",
        f"Changed:   {event.at.isoformat()}",
    ]
    lines += ["", *why_lines(event)] if "why" in event.details else []
    lines += ["", *(f"{key}: {value}" for key, value in sorted(event.details.items()) if key != "why")]
    lines += ["", f"Open in Vigie: {link}", "", f"Alert {event.alert_id}, event {event.event_id}"]
    mail.set_content("\n".join(lines) + "\n")
    return mail
