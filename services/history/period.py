"""A period of history as people ask for it ("since 9 am", "yesterday", "the last 7 days") and the answer:
points per step, totals, and the same figures for the period just before, to compare.

Times are ISO 8601 (with an offset; naive means UTC) or Unix seconds. Steps are whole minutes; without one,
the finest of STEPS_S that keeps the answer within MAX_POINTS points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.history.rollups import DAY_S, HOUR_S, MINUTE_S
from services.history.store import Point

STEPS_S = (60, 300, 900, 3600, 6 * 3600, DAY_S)
MAX_POINTS = 2000
DEFAULT_SPAN_S = DAY_S


class PeriodError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Period:
    from_ts: int
    to_ts: int
    step_s: int

    @property
    def previous(self) -> Period:
        """The period just before, as long in whole minutes: "the last 24 h" asked at 11:00:37 (from 11:00,
        aligned) compares with 11:00 to 11:00 the day before, not from 10:59:23."""
        span = max(MINUTE_S, (self.to_ts - self.from_ts) // MINUTE_S * MINUTE_S)
        return Period(self.from_ts - span, self.from_ts, self.step_s)


#: Times outside 1970-2199 are refused (they are typos, and would overflow the database's integers).
LATEST_TS = 7_258_118_400


def parse_time(field: str, value: str) -> int:
    expected = f"expected an ISO 8601 time (2026-12-06T09:00:00+01:00) or Unix seconds, got {value!r}"
    text = value.strip()
    try:
        ts = int(float(text))
    except (ValueError, OverflowError):
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise PeriodError(field, expected) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        ts = int(parsed.timestamp())
    if not 0 <= ts < LATEST_TS:
        raise PeriodError(field, f"{expected}: a time between 1970 and 2199")
    return ts


def resolve_period(
    from_: str | None, to: str | None, step: int | None, *, now_ts: float, keep_s: int
) -> Period:
    """The period asked for, checked: `from` before `to`, within the retention, whole-minute steps and at
    most MAX_POINTS points; steps align to the period's start rounded down to the step."""
    to_ts = parse_time("to", to) if to else int(now_ts)
    from_ts = parse_time("from", from_) if from_ else to_ts - DEFAULT_SPAN_S
    if from_ts >= to_ts:
        raise PeriodError("from", f"must be before to ({from_ts} is not before {to_ts})")
    if to_ts - from_ts > keep_s:
        raise PeriodError("from", f"history is kept {keep_s // DAY_S} days; the period asked spans more")
    span = to_ts - from_ts
    if step is None:
        step = next((s for s in STEPS_S if span / s <= MAX_POINTS), STEPS_S[-1])
    elif step < MINUTE_S or step % MINUTE_S or step > keep_s:
        expected = "a whole number of minutes in seconds (60, 300, 3600…) within the kept history"
        raise PeriodError("step", f"expected {expected}, got {step}")
    elif span / step > MAX_POINTS:
        raise PeriodError("step", f"{span // step} points asked; at most {MAX_POINTS}: choose a larger step")
    aligned = from_ts // step * step if step <= HOUR_S else from_ts // MINUTE_S * MINUTE_S
    return Period(aligned, to_ts, step)


def figures(count: int, pos: int, neu: int, neg: int, score_sum: float, coordinated: int) -> dict[str, Any]:
    return {
        "count": count,
        "pos": pos,
        "neu": neu,
        "neg": neg,
        "net": round((pos - neg) / count, 4) if count else None,
        "mean": round(score_sum / count, 4) if count else None,
        "coordinated": coordinated,
    }


def totals(points: Sequence[Point]) -> dict[str, Any]:
    return figures(
        sum(p.count for p in points),
        sum(p.pos for p in points),
        sum(p.neu for p in points),
        sum(p.neg for p in points),
        sum(p.score_sum for p in points),
        sum(p.coordinated for p in points),
    )


def history_answer(
    watchlist_id: str,
    period: Period,
    points: Sequence[Point],
    previous: Sequence[Point],
    *,
    minute_since_ts: int,
) -> dict[str, Any]:
    """The body of GET /api/v1/watchlists/{id}/history. `minute_since_ts`: history before it is kept by the
    hour, so a step under an hour shows those hours in the step they start in."""
    return {
        "watchlist": watchlist_id,
        "from_ts": period.from_ts,
        "to_ts": period.to_ts,
        "step_s": period.step_s,
        "minute_resolution_since_ts": minute_since_ts,
        "points": [
            {"start_ts": p.start_ts} | figures(p.count, p.pos, p.neu, p.neg, p.score_sum, p.coordinated)
            for p in points
        ],
        "totals": totals(points),
        "previous": {
            "from_ts": period.previous.from_ts,
            "to_ts": period.previous.to_ts,
            "totals": totals(previous),
        },
    }
