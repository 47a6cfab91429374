"""The rule engine of a worker: per-watchlist rules, the alert book, and what the alerts agent feeds them.

Rules travel on `vigie.config` as `rules:<watchlist id>` (the rule set as JSON; empty = back to defaults),
published by the api from the database like watchlists. A watchlist without a record uses `DEFAULT_RULES`.
The watchlist records on the same topic give each watchlist's own handles (its official accounts).
Bad input (an unreadable config record, metrics message or event) is logged and skipped, never raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec
from aiokafka import AIOKafkaProducer

from services.alerts.events import AlertEvent, decode_event
from services.alerts.lifecycle import AlertBook
from services.alerts.rules import (
    DEFAULT_RULES,
    METRIC_RULES,
    Condition,
    IsPress,
    RuleSet,
    coordination_conditions,
    evaluate_metrics,
    evaluate_negative_influencer,
    parse_metrics,
    swarm_conditions,
)
from services.config_feed import WATCHLIST_PREFIX
from services.enrich import EnrichedMention
from services.watchlists import Watchlist

log = logging.getLogger(__name__)

RULES_PREFIX = "rules:"
_rules_decoder = msgspec.json.Decoder(RuleSet)
_watchlist_decoder = msgspec.json.Decoder(Watchlist)


def rules_record(watchlist: str, rules: RuleSet | None) -> tuple[bytes, bytes]:
    """The config record of a watchlist's rules; None = back to the defaults."""
    return f"{RULES_PREFIX}{watchlist}".encode(), msgspec.json.encode(rules) if rules is not None else b""


async def publish_rules(producer: AIOKafkaProducer, topic: str, rules: Mapping[str, RuleSet | None]) -> None:
    records = [rules_record(watchlist, rule_set) for watchlist, rule_set in rules.items()]
    futures = [await producer.send(topic, value, key=key) for key, value in records]
    await asyncio.gather(*futures)


class AlertEngine:
    def __init__(self, book: AlertBook, is_press: IsPress) -> None:
        self.book = book
        self.is_press = is_press
        self.rules: dict[str, RuleSet] = {}
        #: The watchlists' own accounts (lower case), from their `handles`.
        self.handles: dict[str, frozenset[str]] = {}
        self.skipped = 0

    def rules_of(self, watchlist: str) -> RuleSet:
        return self.rules.get(watchlist, DEFAULT_RULES)

    def own_handles(self, watchlist: str) -> frozenset[str]:
        return self.handles.get(watchlist, frozenset())

    def apply_config(self, key: bytes | None, value: bytes | None) -> None:
        """A record of `vigie.config`: rules, and watchlists for their own accounts' handles."""
        name = (key or b"").decode("utf-8", "replace")
        if name.startswith(WATCHLIST_PREFIX):
            self._apply_watchlist(name.removeprefix(WATCHLIST_PREFIX), value)
        if not name.startswith(RULES_PREFIX):
            return
        watchlist = name.removeprefix(RULES_PREFIX)
        if not value:
            self.rules.pop(watchlist, None)
            return
        try:
            self.rules[watchlist] = _rules_decoder.decode(value)
        except msgspec.DecodeError as error:
            log.error("ignoring unreadable rules record %s (keeping the previous rules): %s", name, error)

    def _apply_watchlist(self, watchlist_id: str, value: bytes | None) -> None:
        if not value:
            self.handles.pop(watchlist_id, None)
            return
        try:
            watchlist = _watchlist_decoder.decode(value)
        except msgspec.DecodeError:
            return  # the config feed logs unreadable watchlists
        self.handles[watchlist_id] = frozenset(h.lstrip("@").lower() for h in watchlist.handles)

    def apply_alert(self, value: bytes | None, now_ts: float) -> None:
        """Fold a record of `vigie.alerts` into the book."""
        try:
            event = decode_event(value or b"")
        except msgspec.DecodeError as error:
            self.skipped += 1
            log.error("ignoring unreadable alert event: %s", error)
            return
        self.book.apply(event, now_ts)

    def on_metrics(self, message: Mapping[str, Any], now_ts: float) -> list[AlertEvent]:
        try:
            metrics = parse_metrics(message)
        except msgspec.ValidationError as error:
            self.skipped += 1
            log.error("ignoring a metrics message the rules cannot read: %s", error)
            return []
        conditions = evaluate_metrics(metrics, self.rules_of(metrics.watchlist))
        return self.book.observe(conditions, now_ts, clear_scope=(metrics.watchlist, METRIC_RULES))

    def on_mentions(self, items: Iterable[EnrichedMention], now_ts: float) -> list[AlertEvent]:
        conditions: list[Condition] = []
        for item in items:
            conditions.extend(
                evaluate_negative_influencer(item, self.rules_of, self.is_press, self.own_handles)
            )
        return self.book.observe(conditions, now_ts) if conditions else []

    def on_insights(self, message: Mapping[str, Any], now_ts: float) -> list[AlertEvent]:
        """A `swarms` or `coordination` message of the insights stage: swarms and campaigns touching a
        watchlist. Each is one alert per swarm or cluster id; it resolves once no message has shown it for
        the resolve delay."""
        conditions: list[Condition] = []
        try:
            if message.get("type") == "swarms":
                for swarm in message.get("items") or []:
                    conditions += swarm_conditions(
                        str(swarm["id"]),
                        list(swarm["tags"]),
                        str(swarm["state"]),
                        swarm["watchlists"],
                        self.rules_of,
                        authors=int(swarm.get("authors", 0)),
                    )
            elif message.get("type") == "coordination":
                for cluster in message.get("clusters") or []:
                    conditions += coordination_conditions(
                        str(cluster["id"]),
                        int(cluster["account_count"]),
                        cluster["watchlists"],
                        self.rules_of,
                        example=str(cluster.get("example", "")),
                    )
        except (KeyError, TypeError, ValueError) as error:
            self.skipped += 1
            log.error("ignoring a %s message the rules cannot read: %r", message.get("type"), error)
            return []
        return self.book.observe(conditions, now_ts) if conditions else []

    def observe(self, conditions: Iterable[Condition], now_ts: float) -> list[AlertEvent]:
        """Sightings from other stages (swarms, coordination: see rules.swarm_conditions)."""
        return self.book.observe(conditions, now_ts)

    def tick(self, now_ts: float, owns: Callable[[str], bool] = lambda watchlist: True) -> list[AlertEvent]:
        return self.book.tick(now_ts, owns)
