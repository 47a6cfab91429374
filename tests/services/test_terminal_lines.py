"""What `vigie run` repeats on its terminal of the roles' log files: what calls for action, once."""

from __future__ import annotations

import logging
from pathlib import Path

from services.runtime.observability.logs import JsonFormatter, formatter
from services.runtime.observability.terminal import LogFollower, calls_for_action, parse_line


def logged(log_format: str, level: int, logger: str, message: str) -> str:
    """The line a role writes for this record, in Vigie's text or JSON format."""
    record = logging.LogRecord(logger, level, __file__, 1, message, None, None)
    chosen = JsonFormatter("worker") if log_format == "json" else formatter("text")
    return chosen.format(record)


def shown(log_format: str, level: int, logger: str, message: str) -> bool:
    line = parse_line(logged(log_format, level, logger, message))
    assert line is not None
    return calls_for_action(line)


def test_errors_and_vigies_own_warnings_reach_the_terminal_in_either_format() -> None:
    for log_format in ("text", "json"):
        assert shown(log_format, logging.ERROR, "faust.transport", "Crashed reason=KeyError('x')")
        assert shown(log_format, logging.WARNING, "services.notifier.process", "endpoint disabled: HTTP 410")
        assert shown(log_format, logging.CRITICAL, "uvicorn.error", "could not bind")


def test_chatter_and_libraries_transient_troubles_stay_in_the_files() -> None:
    for log_format in ("text", "json"):
        assert not shown(log_format, logging.INFO, "services.runtime.supervisor", "declared 7 topics")
        assert not shown(log_format, logging.INFO, "aiokafka.consumer.group_coordinator", "Joined group")
        assert not shown(log_format, logging.WARNING, "mode.timers", "Timer Monitor.sampler is overlapping")
        assert not shown(log_format, logging.WARNING, "faust.transport", "producer buffer full size 1000")
        assert not shown(log_format, logging.ERROR, "aiokafka", 'Unable connect to "127.0.0.1:19092"')
        # What a consumer of the api, the notifier or the archiver logs while the broker is renewed.
        coordinator = "aiokafka.consumer.group_coordinator"
        for renewal in (
            "Error sending HeartbeatRequest to node 111 [NodeNotReadyError: Attempt to send a request to "
            "node which is not ready (node id 111).] -- marking coordinator dead",
            "Heartbeat send request failed: NodeNotReadyError: Attempt to send a request to node which is "
            "not ready (node id 111).. Will retry.",
            "Group Coordinator Request failed: NodeNotReadyError: Attempt to send a request to node which is "
            "not ready (node id 111).",
        ):
            assert not shown(log_format, logging.ERROR, coordinator, renewal)
    # Faust's tables, tracebacks and a library's print are not log lines: the files keep them.
    assert parse_line("| vigie-worker-aggregate-windows-changelog | 0 | -1 |") is None
    assert parse_line("Traceback (most recent call last):") is None


def test_the_follower_says_each_new_line_once_and_repeats_a_message_only_after_a_while(
    tmp_path: Path,
) -> None:
    path = tmp_path / "worker.log"
    path.write_text(logged("text", logging.ERROR, "faust", "from a previous run") + "\n")
    follower = LogFollower(path)
    follower.skip_to_end()
    error = logged("text", logging.ERROR, "faust.agents", "agent crashed")
    with path.open("a") as file:
        file.write(logged("text", logging.INFO, "faust", "chatter") + "\n" + error + "\n" + error + "\n")
        file.write(error[:20])  # a line being written: not yet complete
    assert follower.to_say(now_s=0.0) == ["error from faust.agents: agent crashed"]
    with path.open("a") as file:
        file.write(error[20:] + "\n")
    assert follower.to_say(now_s=1.0) == []  # the same message, a second later
    with path.open("a") as file:
        file.write(error + "\n")
    assert follower.to_say(now_s=601.0) == ["error from faust.agents: agent crashed"]
    assert follower.tail(2) == [error, error]
