"""Which incarnation of the embedded broker the room runs on.

`vigie run` names each embedded broker it starts (services/runtime/rotation.py `new_epoch`) and writes the
name to `broker.epoch` in the data directory. Processes that follow a topic without a consumer group (the
api's hub and alert feed, the connectors host) keep their positions in memory: on a fresh broker those
positions mean nothing (the new partitions start again from zero), so a follower that sees the epoch change
reads its topic again from where it would on a first start.
"""

from __future__ import annotations

import time
from pathlib import Path

from services.settings import Settings

EPOCH_FILE = "broker.epoch"
#: The epoch file is looked at no more often than this.
CHECK_EVERY_S = 0.5


def write_epoch(data_dir: Path | str, epoch: str) -> None:
    path = Path(data_dir) / EPOCH_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(epoch)


def current_epoch(settings: Settings) -> str:
    """The epoch of the broker this process talks to: from `vigie run`'s file for the embedded broker, ""
    on a Kafka cluster (whose topics are never renewed, so every state saved there is its own)."""
    if not settings.uses_embedded_broker:
        return ""
    return read_epoch(Path(settings.data_dir) / EPOCH_FILE)


def read_epoch(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


class EpochWatch:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.current = read_epoch(path)
        self._checked_at = time.monotonic()

    @classmethod
    def for_settings(cls, settings: Settings) -> EpochWatch | None:
        """A watch of this room's epoch file; None on a Kafka cluster (its topics are never renewed)."""
        if not settings.uses_embedded_broker:
            return None
        return cls(Path(settings.data_dir) / EPOCH_FILE)

    def changed(self) -> bool:
        """True once each time the broker was renewed since the last call."""
        now = time.monotonic()
        if now - self._checked_at < CHECK_EVERY_S:
            return False
        self._checked_at = now
        epoch = read_epoch(self.path)
        if epoch == self.current:
            return False
        self.current = epoch
        return True
