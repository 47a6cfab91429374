"""The updates protocol: what the worker (and the api, for corrections) publishes on `vigie.updates`, and
what the websocket hub sends to walls (api/websocket.md documents each type; tests/services/test_updates.py
checks that page against this module).

Every message is a msgspec struct tagged by its `type`, with a version `v`; a reader decodes a record once
with `decode_update` (a msgspec.DecodeError or ValidationError says what did not fit) and dispatches on the
struct's class. The wire format is the JSON these structs encode to (fields in declaration order).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from services.aggregation.windows import Series, WindowStats
from services.insights.coordination import AutomatedAccount, CoordinatedCluster
from services.insights.influence import InfluenceRow
from services.insights.swarms import Swarm
from services.understanding.enrich import ItemSentiment, MentionItem

VERSION = 1


class Message(msgspec.Struct, tag_field="type", kw_only=True):
    """Every message: `type` (the tag) and `v`, the version of the protocol it follows."""

    v: int = VERSION


# -- on the updates topic ---------------------------------------------------------------------------------


class Metrics(Message, tag="metrics", kw_only=True):
    """The rolling windows of one watchlist (services/aggregation/aggregate.py `metrics_message`); the hub
    sets each window's `share`."""

    watchlist: str
    now_ts: float
    windows: dict[str, WindowStats]
    series: Series
    late: int
    total: int
    since_ts: int | None
    coordinated_counted: bool


class Mentions(Message, tag="mentions", kw_only=True):
    """New ticker items, newest last."""

    items: list[MentionItem]


class Correction(Message, tag="correction", kw_only=True):
    """A person set a mention's sentiment (api/routes/corrections.py)."""

    mention: str
    sentiment: ItemSentiment


class Swarms(Message, tag="swarms", kw_only=True):
    now_ts: float
    total: int
    items: list[Swarm]


class Influencers(Message, tag="influencers", kw_only=True):
    watchlist: str
    now_ts: float
    items: list[InfluenceRow]
    press: list[InfluenceRow]


class Coordination(Message, tag="coordination", kw_only=True):
    now_ts: float
    clusters: list[CoordinatedCluster]
    accounts: list[AutomatedAccount]
    coordinated_mentions: int


class WorkerStatus(Message, tag="status", kw_only=True):
    """A worker is alive and holds partitions (streams/agents/status.py); the hub counts the live ones.
    `stage`: the Faust stage it runs (streams/app.py), "pipeline" (`vigie worker`) or "insights"."""

    role: Literal["worker"] = "worker"
    id: str
    at_ts: float
    partitions: int
    stage: Literal["pipeline", "insights"] = "pipeline"


class ConnectorStatus(Message, tag="connector", kw_only=True):
    """A connector's counters (services/connectors/base.py `ConnectorStats`); `stopped` once it stopped on
    purpose. Read by the api's connector board, not sent to walls."""

    id: str
    at_ts: float
    name: str
    kind: str
    received: int = 0
    published: int = 0
    filtered: int = 0
    duplicates: int = 0
    errors: int = 0
    reconnects: int = 0
    last_event_ts: float | None = None
    last_error: str | None = None
    connected: bool = False
    rate_per_s: float = 0.0
    started_ts: float = 0.0
    stopped: bool = False


# -- from the hub to walls only ---------------------------------------------------------------------------


class Snapshot(Message, tag="snapshot", kw_only=True):
    """The first message on every connection (and to a client too far behind): the whole state."""

    server_time: str
    #: Watchlists as api/hub.py `Hub.watchlist_items` gives them (a watchlist plus `own_handles`).
    watchlists: list[dict[str, Any]]
    metrics: dict[str, Metrics]
    mentions: list[MentionItem]
    swarms: Swarms | None
    coordination: Coordination | None
    influencers: dict[str, Influencers]
    #: The open alerts, as api/alert_feed.py `Alerts.alert_out` shows them.
    alerts: list[dict[str, Any]]


class Watchlists(Message, tag="watchlists", kw_only=True):
    items: list[dict[str, Any]]


class Alert(Message, tag="alert", kw_only=True):
    """An alert changed: its latest event (services/alerts/events.py) plus `silenced_by`."""

    alert: dict[str, Any]


class Heartbeat(Message, tag="heartbeat", kw_only=True):
    server_time: str
    #: While ingest is held (services/runtime/hold.py): why, in a few words, and since when (Unix time).
    ingest_paused: str | None = None
    ingest_paused_since_ts: float | None = None
    #: While no insights process reports (`Hub.insights_silent_since`): since when (Unix time); alerts,
    #: swarms, influencers and coordination stand still then, counts and sentiment do not.
    insights_silent_since_ts: float | None = None


#: The insights stage's messages (streams/agents/insights.py).
Insight = Swarms | Influencers | Coordination
#: What the updates topic carries.
Update = (
    Metrics | Mentions | Correction | Swarms | Influencers | Coordination | WorkerStatus | ConnectorStatus
)
#: What the hub sends to walls.
WallMessage = (
    Snapshot
    | Metrics
    | Mentions
    | Correction
    | Watchlists
    | Swarms
    | Influencers
    | Coordination
    | Alert
    | Heartbeat
)
#: Every message type of the protocol, for its documentation check.
MESSAGES: tuple[type[Message], ...] = (
    Snapshot, Metrics, Mentions, Correction, Watchlists, Swarms, Influencers, Coordination, Alert, Heartbeat,
    WorkerStatus, ConnectorStatus,
)  # fmt: skip

_update_decoder = msgspec.json.Decoder(Update)
_encoder = msgspec.json.Encoder()


def decode_update(value: bytes) -> Update:
    """One record of the updates topic; msgspec.DecodeError (ValidationError) saying what did not fit."""
    return _update_decoder.decode(value)


def encode(message: Message) -> bytes:
    return _encoder.encode(message)


def type_of(message_class: type[Message]) -> str:
    """The `type` a message class is tagged with."""
    tag = message_class.__struct_config__.tag
    assert isinstance(tag, str)
    return tag


def type_named(value: bytes) -> str | None:
    """The `type` a record says it is, read leniently (for a log line about a record that did not decode)."""
    try:
        found = msgspec.json.decode(value, type=_Typed)
    except msgspec.DecodeError:
        return None
    return found.type


class _Typed(msgspec.Struct):
    type: str | None = None
