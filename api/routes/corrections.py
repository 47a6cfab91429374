"""People correct the machine: `POST /api/v1/mentions/{id}/sentiment` sets an archived mention's sentiment,
`GET /api/v1/mentions/{id}/corrections` lists who changed it (services/understanding/corrections.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, Literal

import msgspec
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import APIRouter, HTTPException, Request

from api.auth import actor
from api.deps import Runtime, RuntimeDep
from api.errors import FieldErrorRoute
from api.openapi import KEYED, body_doc, refusals
from api.routes.alerts import read_body
from services import updates
from services.ingest.records import MAX_ID_CHARS
from services.runtime.hold import IngestHold
from services.runtime.kafka import PARTIALS, UPDATES
from services.settings import Settings
from services.understanding.corrections import (
    MAX_NOTE_CHARS,
    Correction,
    CorrectionStore,
    MentionNotFound,
    partials,
)
from services.understanding.enrich import ItemSentiment
from services.understanding.sentiment import LABELS

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/api/v1/mentions", tags=["corrections"], route_class=FieldErrorRoute, responses=KEYED
)

#: How often the api sends again the corrections the broker has not acknowledged.
REPUBLISH_INTERVAL_S = 5.0


class SentimentCorrection(msgspec.Struct, forbid_unknown_fields=True):
    """The label people read in the mention, and an optional note (who they are, why)."""

    sentiment: Literal["neg", "neu", "pos"]
    note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE_CHARS)] | None = None


BODY_DOC = body_doc(SentimentCorrection, {"sentiment": "neg", "note": "ana: a complaint, not a question"})


def corrections_of(request: Request) -> CorrectionStore:
    store: CorrectionStore = request.app.state.corrections
    return store


def _known_id(mention_id: str) -> bool:
    """Whether the path could name a mention at all (ids have at most 256 characters and no NUL, which
    PostgreSQL would refuse in a query): other paths answer 404 without asking the database."""
    return len(mention_id) <= MAX_ID_CHARS and "\x00" not in mention_id


def _not_found(mention_id: str) -> HTTPException:
    reason = f"no archived mention with id {mention_id!r} (only mentions matched to a watchlist are archived)"
    return HTTPException(404, detail=[{"field": "id", "error": reason}])


async def publish_pending(
    store: CorrectionStore, producer: AIOKafkaProducer, topic: str, hold: IngestHold
) -> int:
    """Send the partials of every correction not yet acknowledged, oldest first; mark those the broker
    acknowledged. Waits while ingest is held (a broker renewal drains what was sent before it)."""
    pending = await asyncio.to_thread(store.unpublished)
    done: list[int] = []
    try:
        async with hold.publishing(wait=True):
            for correction in pending:
                sends = [await producer.send(topic, value, key=key) for key, value in partials(correction)]
                await asyncio.gather(*sends)
                done.append(correction.id)
    finally:
        await asyncio.to_thread(store.mark_published, done)
    return len(done)


async def republish(store: CorrectionStore, producer: AIOKafkaProducer, topic: str, hold: IngestHold) -> None:
    """Until cancelled: send again what a failed send left unpublished."""
    while True:
        await asyncio.sleep(REPUBLISH_INTERVAL_S)
        try:
            await publish_pending(store, producer, topic, hold)
        except KafkaError as error:
            log.warning("corrections: could not publish (will try again): %s", error)


def start_republishing(
    store: CorrectionStore, producer: AIOKafkaProducer, settings: Settings
) -> asyncio.Task[None]:
    """`republish` as a task of the api's life (api/main.py cancels it at shutdown)."""
    hold = IngestHold(settings.data_dir)
    return asyncio.create_task(
        republish(store, producer, settings.topic(PARTIALS), hold), name="corrections-republish"
    )


async def show_on_walls(runtime: Runtime, mention_id: str, sentiment: dict[str, Any]) -> None:
    """Tell every api process's walls (through the updates topic, which each hub follows) that people
    relabelled the mention; when the broker refuses, at least this api's walls are told."""
    message = updates.Correction(mention=mention_id, sentiment=msgspec.convert(sentiment, ItemSentiment))
    topic = runtime.settings.topic(UPDATES)
    try:
        await runtime.producer.send_and_wait(topic, updates.encode(message), key=mention_id.encode())
    except KafkaError as error:
        log.warning(
            "corrections: the walls of other api processes miss correction of %s: %s", mention_id, error
        )
        if (shown := runtime.hub.apply_update(message)) is not None:
            runtime.hub.broadcast(shown)


@router.post(
    "/{mention_id}/sentiment",
    summary="Correct a mention's sentiment",
    openapi_extra=BODY_DOC,
    responses=refusals(404),
)
async def correct_sentiment(mention_id: str, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Sets the sentiment of an archived mention (`neg`, `neu` or `pos`), recorded as by the key's name, with
    the body's `note` kept apart. Search and export show the new label and who set it; the counts of the
    mention's watchlists move in the windows it belongs to (the old label out, the new one in) and in the
    history. Answers the mention's search item, and `correction` (null when it already had that label)."""
    body = await read_body(request, SentimentCorrection)
    store = corrections_of(request)
    if not _known_id(mention_id):
        raise _not_found(mention_id[:MAX_ID_CHARS])
    try:
        correction, mention = await asyncio.to_thread(
            store.correct, mention_id, body.sentiment, by=actor(request), note=body.note
        )
    except MentionNotFound:
        raise _not_found(mention_id) from None
    published = True
    if correction is not None:
        topic = runtime.settings.topic(PARTIALS)
        try:
            await publish_pending(store, runtime.producer, topic, IngestHold(runtime.settings.data_dir))
        except KafkaError as error:  # kept, and sent again by `republish`
            log.warning("corrections: correction %d not published yet: %s", correction.id, error)
            published = False
        await asyncio.to_thread(store.annotate, [mention])
        await show_on_walls(runtime, mention_id, mention.to_item()["sentiment"])
    return {
        "mention": mention.to_item(),
        "correction": _item(correction, mention.correction),
        "published": published,
    }


def _item(correction: Correction | None, shown: dict[str, Any] | None) -> dict[str, Any] | None:
    if correction is None:
        return None
    return correction.to_item(shown.get("model_label") if shown else None)


@router.get("/{mention_id}/corrections", summary="Who corrected a mention's sentiment")
async def mention_corrections(mention_id: str, request: Request) -> dict[str, Any]:
    """Every correction of the mention, oldest first: `from`, `to`, `by` (the key's name), `note`, `at`."""
    if not _known_id(mention_id):
        return {"mention_id": mention_id[:MAX_ID_CHARS], "labels": list(LABELS), "items": []}
    history = await asyncio.to_thread(corrections_of(request).history, mention_id)
    return {"mention_id": mention_id, "labels": list(LABELS), "items": [c.to_item() for c in history]}
