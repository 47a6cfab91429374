"""Where a connector remembers how far it got: one small JSON file per connector under the data dir.

Why not a Kafka topic: the cursor is private to one process and rewritten after every batch; the
embedded broker has no compaction (a cursor topic would grow for ever in memory) and loses everything
when it restarts, while a local file written atomically (temp file + rename) survives both and costs
one small write per batch. Several machines running the same connector would each need their own
name anyway: a connector is a single reader of its source.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson


class CursorError(ValueError):
    pass


class CursorStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_connector(cls, data_dir: Path, name: str) -> CursorStore:
        return cls(Path(data_dir) / "connectors" / f"{name}.json")

    def load(self) -> dict[str, Any]:
        """The saved cursor, or {} when the connector never acknowledged anything."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            cursor = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise CursorError(f"{self.path}: expected a JSON object, got unreadable JSON: {error}") from None
        if not isinstance(cursor, dict):
            raise CursorError(f"{self.path}: expected a JSON object, got {type(cursor).__name__}")
        return cursor

    def save(self, cursor: dict[str, Any]) -> None:
        """Write atomically: a reader (or a crash) sees the old cursor or the new one, never half of it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(f".{os.getpid()}.tmp")
        with temp.open("wb") as file:
            file.write(orjson.dumps(cursor))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, self.path)
