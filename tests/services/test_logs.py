"""JSON logs: one object per line, with the ids a log call passes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest

from services.runtime.observability.logs import JsonFormatter, RedactSecrets, formatter


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(role="notifier"))
    logger = logging.getLogger("vigie.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def test_a_record_with_ids_becomes_one_json_line_with_those_fields(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.warning(
        "delivery %s failed:\nHTTP 500",
        7,
        extra={"alert_id": "al-1", "mention_id": "m-2", "watchlist_id": "w-3"},
    )
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, "a message with a newline still makes one line"
    line = orjson.loads(lines[0])
    assert line["message"] == "delivery 7 failed:\nHTTP 500"
    assert (line["level"], line["logger"], line["role"]) == ("WARNING", "vigie.test.logs", "notifier")
    assert (line["alert_id"], line["mention_id"], line["watchlist_id"]) == ("al-1", "m-2", "w-3")
    assert line["ts"].endswith("+00:00")


def test_ids_not_passed_are_absent_and_a_role_passed_wins(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("hello", extra={"role": "worker"})
    line = orjson.loads(stream.getvalue())
    assert line["role"] == "worker"
    assert not {"alert_id", "mention_id", "watchlist_id"} & line.keys()


def test_an_exception_is_kept_in_the_same_line(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise ValueError("expected a number, got 'x'")
    except ValueError:
        logger.exception("cannot score", extra={"mention_id": "m-9"})
    [text] = stream.getvalue().splitlines()
    line = orjson.loads(text)
    assert line["mention_id"] == "m-9"
    assert "ValueError: expected a number, got 'x'" in line["exception"]


def test_text_is_the_format_for_a_terminal() -> None:
    record = logging.LogRecord("vigie.x", logging.INFO, __file__, 1, "ready in %.1f s", (1.25,), None)
    text = formatter("text").format(record)
    assert text.endswith("INFO vigie.x: ready in 1.2 s")
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(text)


@pytest.mark.parametrize(
    ("logged", "shown"),
    [
        (
            '127.0.0.1:5 - "WebSocket /ws?token=vk_Zq3-x_9abcdefghijklmnopqrstuv" 401',
            '"WebSocket /ws?token=***" 401',
        ),
        ("GET /console.html?key=vk_abcdefgh12345678&x=1", "?key=***&x=1"),
        ("signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=", "signing with whsec_***"),
        ("POST https://hooks.slack.com/services/T0/B0/abcdef failed", "https://hooks.slack.com/*** failed"),
        ("Authorization: Bearer abcdefgh12345678", "Authorization: Bearer ***"),
        ("https://feed.example/rss?access_token=s3cr3t#top", "?access_token=***#top"),
    ],
)
def test_secrets_are_hidden_in_messages_args_and_tracebacks(logged: str, shown: str) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("text"))
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("vigie.test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("%s", logged)
        try:
            raise ValueError(logged)
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert output.count(shown) == 2, output  # in the message and in the traceback
    for secret in ("Zq3-x_9abc", "abcdefgh1234", "MfKQ9r8GKYq", "T0/B0/abcdef", "s3cr3t"):
        assert secret not in output


def test_the_workers_text_handler_redacts_too() -> None:
    """Faust's worker formats with mode's ExtensionFormatter, which formats `args` itself."""
    from mode.utils.logging import ExtensionFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ExtensionFormatter(stream=stream, fmt="%(message)s"))
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("vigie.test.redact.worker")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("key %s, %d%% done", "vk_abcdefghijklmnop", 50)
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().strip() == "key vk_***, 50% done"
