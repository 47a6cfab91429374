"""`make eval-alerts`: an hour of demo traffic through the rules, scored against the demo's scripted episodes.

The replay (services/alerts/replay.py) runs the real stages and rule engine in event time. Per episode it
prints the detection delay (from the episode's start to the first volume-spike alert on its watchlist), the
alerts raised on its watchlist from its start to `ATTRIBUTION_S` after its end (the 15-minute sentiment
window still holds it that long), by severity, and the pages and escalation updates of its incidents
(services/alerts/incidents.py); then the alerts raised outside any episode, by severity. Targets: at most
one page per episode, no alert outside an episode above info, each spike detected within 60 s.

python -m services.alerts.evaluate [--seconds 3600] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.alerts.events import SEVERITY_RANK, AlertEvent
from services.alerts.incidents import IncidentEvent
from services.alerts.replay import Replay, replay_demo
from services.demo.episodes import Episode

#: An alert on an episode's watchlist this long after the episode's end still belongs to it.
ATTRIBUTION_S = 900.0
MAX_DELAY_S = 60.0
MAX_PAGES = 1


@dataclass
class EpisodeScore:
    episode: Episode
    delay_s: float | None = None
    alerts: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    pages: int = 0
    escalations: int = 0


@dataclass
class Score:
    episodes: list[EpisodeScore]
    outside: Counter[str]
    outside_rules: Counter[str]
    outside_examples: list[AlertEvent]
    total: Counter[str]

    def failures(self) -> list[str]:
        found = []
        for row in self.episodes:
            name = f"episode {row.episode.index} ({row.episode.watchlist_id})"
            if row.pages > MAX_PAGES:
                found.append(f"{name}: {row.pages} pages")
            if row.delay_s is None or row.delay_s > MAX_DELAY_S:
                found.append(f"{name}: spike detected after {row.delay_s} s")
        above = sum(count for severity, count in self.outside.items() if severity != "info")
        if above:
            found.append(f"{above} alerts above info outside any episode")
        return found


def _episode_of(episodes: list[Episode], watchlist: str, at: datetime) -> Episode | None:
    for episode in episodes:
        late = episode.end + timedelta(seconds=ATTRIBUTION_S)
        if episode.watchlist_id == watchlist and episode.start <= at <= late:
            return episode
    return None


def score(replay: Replay) -> Score:
    episodes = [e for e in replay.episodes if e.start < replay.end]
    rows = {episode.index: EpisodeScore(episode) for episode in episodes}
    outside: Counter[str] = Counter()
    outside_rules: Counter[str] = Counter()
    examples: list[AlertEvent] = []
    total: Counter[str] = Counter()
    # Each alert episode once, at the highest severity it reached.
    highest: dict[tuple[str, datetime], AlertEvent] = {}
    for event in replay.events:
        key = (event.alert_id, event.started_at)
        if key not in highest or SEVERITY_RANK[event.severity] > SEVERITY_RANK[highest[key].severity]:
            highest[key] = event
    for event in highest.values():
        total[event.severity] += 1
        episode = _episode_of(episodes, event.watchlist, event.started_at)
        if episode is None:
            outside[event.severity] += 1
            outside_rules[event.rule] += 1
            if event.severity != "info":
                examples.append(event)
            continue
        row = rows[episode.index]
        row.alerts[event.severity] += 1
        row.rules[event.rule] += 1
        if event.rule == "volume_spike" and event.started_at <= episode.end and row.delay_s is None:
            row.delay_s = round((event.started_at - episode.start).total_seconds(), 1)
    notices: list[IncidentEvent] = [i for i in replay.incidents if i.notify in ("page", "escalation")]
    for notice in notices:
        episode = _episode_of(episodes, notice.watchlist, notice.at)
        if episode is None:
            outside["page" if notice.notify == "page" else "escalation"] += 1
            continue
        if notice.notify == "page":
            rows[episode.index].pages += 1
        else:
            rows[episode.index].escalations += 1
    return Score(list(rows.values()), outside, outside_rules, examples, total)


def render(result: Score, replay: Replay) -> str:
    minutes = (replay.end - replay.start).total_seconds() / 60
    lines = [
        f"{minutes:.0f} min of demo traffic, {len(result.episodes)} episodes; "
        f"alerts raised: {sum(result.total.values())} ({_counts(result.total)})",
        "",
        "| episode | watchlist | start | campaign | spike detected after "
        "| alerts by highest severity (info/warning/critical) | rules | pages | escalations |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in result.episodes:
        episode = row.episode
        start_s = (episode.start - replay.start).total_seconds()
        delay = f"{row.delay_s:.0f} s" if row.delay_s is not None else "missed"
        alerts = "/".join(str(row.alerts[s]) for s in ("info", "warning", "critical"))
        rules = ", ".join(f"{rule} {count}" for rule, count in sorted(row.rules.items()))
        lines.append(
            f"| {episode.index} | {episode.watchlist_id} | +{start_s:.0f} s | "
            f"{'yes' if episode.coordinated else 'no'} | {delay} | {alerts} | {rules} | {row.pages} | "
            f"{row.escalations} |"
        )
    lines += [
        "",
        f"Outside any episode: {_counts(result.outside) or 'none'}"
        + (
            f" ({', '.join(f'{r} {c}' for r, c in sorted(result.outside_rules.items()))})"
            if result.outside
            else ""
        ),
    ]
    lines += [f"  above info: {event.summary}" for event in result.outside_examples[:10]]
    return "\n".join(lines)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{count} {name}" for name, count in sorted(counter.items()) if count)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3600.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    replay = replay_demo(args.seconds, seed=args.seed)
    result = score(replay)
    print(render(result, replay))
    failures = result.failures()
    print("\n" + ("targets met" if not failures else "targets missed:\n  " + "\n  ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
