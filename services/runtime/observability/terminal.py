"""What `vigie run` shows on its terminal of the roles' logs: only what calls for action.

Each role of `vigie run` writes everything it logs to its own file, `$VIGIE_DATA_DIR/logs/<role>.log`;
the supervisor follows those files and repeats on the terminal the lines a person must act on:
ERROR and CRITICAL from anyone, WARNING from Vigie's own code. The rest is detail for the files:
INFO chatter, libraries' warnings (aiokafka's connection and group messages, Faust's "Timer … is
overlapping" and "producer buffer full", deprecation warnings) and the known noise below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import orjson

#: Loggers whose warnings are Vigie's own, so they are meant for the people running it.
OWN_LOGGERS = ("services", "streams", "api", "vigie")
#: Errors libraries log about transient states Vigie recovers from by itself (a broker still starting,
#: a group rebalancing): details for the log file, not actions for a person.
NOISE = re.compile(
    r"Unable (to )?connect to|Timer .* is overlapping|producer buffer full|"
    r"Heartbeat (send request )?failed|rebalanc|NotCoordinator|Coordinator( .*)? (dead|unavailable)|"
    r"Coordinator Request failed|NodeNotReadyError|Failed fetch messages from|Unable to update metadata",
    re.IGNORECASE,
)
#: A text line: `2026-12-06 07:40:00,123 WARNING services.runtime.supervisor: message` (logs.TEXT_FORMAT).
TEXT_LINE = re.compile(
    r"^\S+ \S+ (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<logger>[^:\s]+): (?P<message>.*)$"
)
#: How long a line said on the terminal is not said again (the same message, repeated by a loop).
REPEAT_S = 600.0


@dataclass(frozen=True)
class LogLine:
    level: str
    logger: str
    message: str


def parse_line(line: str) -> LogLine | None:
    """A role's log line in either format (text or JSON); None for anything else (tracebacks, prints)."""
    if line.startswith("{"):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(record, dict) or "level" not in record:
            return None
        return LogLine(str(record["level"]), str(record.get("logger", "")), str(record.get("message", "")))
    match = TEXT_LINE.match(line)
    if match is None:
        return None
    return LogLine(match["level"], match["logger"], match["message"])


def calls_for_action(line: LogLine) -> bool:
    """True when a person should read this line on the terminal (see the module docstring)."""
    if NOISE.search(line.message):
        return False
    if line.level in ("ERROR", "CRITICAL"):
        return True
    own = line.logger.split(".", 1)[0] in OWN_LOGGERS
    return line.level == "WARNING" and own


@dataclass
class LogFollower:
    """Reads the lines a role appended to its log file since the last call."""

    path: Path
    offset: int = 0
    _partial: bytes = b""
    _said_at: dict[str, float] = field(default_factory=dict)

    def skip_to_end(self) -> None:
        """Start from what is written from now on (a restarted role appends to the same file)."""
        try:
            self.offset = self.path.stat().st_size
        except FileNotFoundError:
            self.offset = 0
        self._partial = b""

    def new_lines(self) -> list[str]:
        try:
            with self.path.open("rb") as file:
                file.seek(self.offset)
                data = file.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        *complete, self._partial = (self._partial + data).split(b"\n")
        return [line.decode(errors="replace") for line in complete]

    def to_say(self, now_s: float) -> list[str]:
        """The new lines that call for action, each message at most once every REPEAT_S."""
        said = []
        for text in self.new_lines():
            line = parse_line(text)
            if line is None or not calls_for_action(line):
                continue
            key = f"{line.level} {line.logger} {line.message}"
            if now_s - self._said_at.get(key, -REPEAT_S) < REPEAT_S:
                continue
            self._said_at[key] = now_s
            said.append(f"{line.level.lower()} from {line.logger}: {line.message}")
        return said

    def tail(self, lines: int = 8) -> list[str]:
        """The last lines of the file (what a role said before it died)."""
        try:
            text = self.path.read_bytes()[-16384:].decode(errors="replace")
        except FileNotFoundError:
            return []
        return text.splitlines()[-lines:]
