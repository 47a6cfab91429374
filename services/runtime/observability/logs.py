"""Log lines for people (`text`) or for collectors (`json`: one object per line), with secrets removed.

A JSON line holds `ts` (ISO 8601, UTC), `level`, `logger`, `message`, the `role` of the process, and
`mention_id`, `alert_id`, `watchlist_id`, `delivery_id`, `endpoint_id` when the call passes them:
`log.info("...", extra={"alert_id": alert.id})`. An exception adds `exception` (the traceback as text).

Every handler set up here (uvicorn's lines go through the root logger's) carries `RedactSecrets`: API keys
(`vk_…`), webhook secrets (`whsec_…`), Slack webhook paths, bearer credentials and the values of query
parameters named like credentials (`?token=`, `?key=`, `access_token`, `password`, …) are replaced by `***`
in the message and the traceback, whoever logged them (uvicorn logs `WebSocket /ws?token=…` for every
wall that connects, accepted or refused).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

#: The ids a log call may pass with `extra=`; they become fields of the JSON line.
ID_FIELDS = ("mention_id", "alert_id", "watchlist_id", "delivery_id", "endpoint_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "***"
_SECRETS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bvk_[A-Za-z0-9_-]+"), f"vk_{HIDDEN}"),  # API keys (services/access/auth.py)
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"), f"whsec_{HIDDEN}"),  # webhook signing secrets
    (re.compile(r"(hooks\.slack\.com/)[^\s'\"<>]+"), rf"\1{HIDDEN}"),  # the path is the credential
    (re.compile(r"(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1{HIDDEN}"),
    (
        re.compile(
            r"(?i)([?&;](?:token|key|api_key|apikey|access_token|auth|secret|password|passwd|sig|signature"
            r"|routing_key)=)[^&\s'\"#]+"
        ),
        rf"\1{HIDDEN}",
    ),
]


def redact(text: str) -> str:
    """`text` with every secret it shows replaced by `***` (see the module's docstring)."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """A handler filter: the record's message and traceback, secrets removed (the record is rewritten,
    so every handler after it sees the redacted text too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record; `role` is the process's role unless the record names its own."""

    def __init__(self, role: str | None = None) -> None:
        super().__init__()
        self.role = role

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        role = getattr(record, "role", None) or self.role
        if role:
            line["role"] = role
        for name in ID_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


def formatter(log_format: Literal["text", "json"], role: str | None = None) -> logging.Formatter:
    return JsonFormatter(role) if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(level: str, log_format: Literal["text", "json"], role: str | None = None) -> None:
    """Send every log record to stderr in `log_format`, replacing handlers set before."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format, role))
    handler.addFilter(RedactSecrets())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # JSON: Python's warnings (deprecations of libraries) become log records too, so every line parses.
    logging.captureWarnings(log_format == "json")


def log_to_file(path: Path, level: str, log_format: Literal["text", "json"], role: str) -> None:
    """Send every log record of this process to `path` (appended) instead of the terminal."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(formatter(log_format, role))
    handler.addFilter(RedactSecrets())
    logging.basicConfig(level=level, handlers=[handler], force=True)


def dict_config(level: str, role: str, log_format: Literal["text", "json"] = "json") -> dict[str, Any]:
    """The same logging as a `logging.config.dictConfig` mapping (Faust's worker takes one): text lines
    in TEXT_FORMAT (which `vigie run` reads to pick what the terminal shows), or JSON lines."""
    formatters = {
        "json": {"()": f"{__name__}.JsonFormatter", "role": role},
        "text": {"format": TEXT_FORMAT},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {log_format: formatters[log_format]},
        "filters": {"redact": {"()": f"{__name__}.RedactSecrets"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "level": level,
                "filters": ["redact"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
    }
