"""The benchmark's table: rows of (what, value, target or ratio), from the results of one run."""

from __future__ import annotations

import itertools
import statistics
from typing import Any

TARGET_PIPELINE_PER_S = 40_000
TARGET_LATENCY_P99_MS = 300.0
TARGET_LATENCY_RATE_PER_S = 5000.0
TARGET_FANOUT_P99_MS = 250.0
#: Issue 18: ingest with history and archive on no more than 10% below it with them off.
TARGET_HISTORY_RATIO = 0.90


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}/s"


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} MiB" if value < 10 else f"{value:,.0f} MiB"


def _meets(ok: bool) -> str:
    return "met" if ok else "NOT met"


def rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    t = results.get("throughput")
    if t:
        pipeline, naive, ceiling = (
            t["pipeline"]["mentions_per_s"],
            t["naive"].get("mentions_per_s"),
            t["ceiling_mentions_per_s"],
        )
        out += [
            ("THROUGHPUT, one worker process", "", ""),
            (
                f"  Vigie pipeline ({t['mentions']:,} mentions)",
                _rate(pipeline),
                f"target {TARGET_PIPELINE_PER_S:,}/s: {_meets(pipeline >= TARGET_PIPELINE_PER_S)}",
            ),
            (
                "  ceiling: plain aiokafka read + decode",
                _rate(ceiling),
                f"pipeline = {pipeline / ceiling:.1%} of it",
            ),
            (
                f"  naive Faust agent, 1 mention/event ({t['naive_mentions']:,})",
                _rate(naive),
                f"pipeline = {pipeline / naive:.1f}x naive" if naive else t["naive"].get("error", "")[:90],
            ),
            ("  totals exact after the run", "yes" if t["pipeline"]["totals_exact"] else "NO", ""),
        ]
        out += workers_rows(t)
        out += history_cost_rows(t.get("history_archive"))
    m = results.get("micro")
    if m:
        enrich = m["enrich_mentions_per_s"]
        out += [
            ("IN-PROCESS, one core", "", ""),
            *(
                (what, _rate(m[key]), unit)
                for what, key, unit in (
                    ("  raw envelopes to mentions", "records_mentions_per_s", "mentions"),
                    ("  word tokens", "tokens_texts_per_s", "texts"),
                )
                if key in m
            ),
            (
                f"  sentiment score_batch ({results['sentiment_backend']})",
                _rate(m["sentiment_texts_per_s"]),
                "texts",
            ),
            ("  language detect_batch", _rate(m["language_texts_per_s"]), "texts"),
            *(
                (f"  watchlist matching, {n} watchlist{'s' if n != '1' else ''}", _rate(rate), "mentions")
                for n, rate in m["matching_mentions_per_s"].items()
            ),
            (
                "  enrich stage alone (Enricher.process)",
                _rate(enrich),
                f"worker reaches {t['pipeline']['mentions_per_s'] / enrich:.0%} of it" if t else "",
            ),
            *(
                (what, _rate(m[key]), unit)
                for what, key, unit in (
                    ("  masking watched terms", "masking_matched_mentions_per_s", "matched mentions"),
                    ("  metrics message from an hour of buckets", "metrics_messages_per_s", "messages"),
                    ("  archive index terms", "archive_terms_mentions_per_s", "matched mentions"),
                )
                if key in m
            ),
        ]
        for item in m["enrich_profile"]["top_modules"][:5]:
            out.append((f"    time in {item['where']}", f"{item['share']:.0%}", "of enrich (cProfile)"))
    st = results.get("stages")
    if st:
        minutes = st["event_time_s"] / 60
        out.append((f"INSIGHTS, {st['mentions']:,} demo mentions ({minutes:.0f} min of event time)", "", ""))
        for stage in ("swarms", "influence", "coordination"):
            figures = st[stage]
            out.append(
                (
                    f"  {stage}: cost per mention, memory after",
                    f"{figures['total_us_per_mention']:.1f} µs, {_mib(figures['memory_mib'])}",
                    f"observe {figures['observe_us_per_mention']:.1f} µs + read {figures['read_ms']:.1f} ms "
                    f"every {st['snapshot_every_s']} s",
                )
            )
    lat = results.get("latency")
    if lat:
        out.append(("LATENCY, POST -> websocket update", "p50 / p95 / p99", ""))
        for run in lat:
            if "error" in run:
                out.append((f"  at {run['rate_per_s']:,.0f}/s", "failed", run["error"][:90]))
                continue
            target = ""
            if run["rate_per_s"] >= TARGET_LATENCY_RATE_PER_S:
                target = (
                    f"p99 < {TARGET_LATENCY_P99_MS:.0f} ms: {_meets(run['p99_ms'] < TARGET_LATENCY_P99_MS)}"
                )
            out.append(
                (
                    f"  at {run['rate_per_s']:,.0f}/s (achieved {run['achieved_per_s']:,}/s)",
                    f"{run['p50_ms']:.0f} / {run['p95_ms']:.0f} / {run['p99_ms']:.0f} ms",
                    f"{run['probes']} probes, {run.get('late_probes', 0)} late, "
                    f"{run['lost_probes']} lost; {target}",
                )
            )
    f = results.get("fanout")
    if f:
        out.append(
            (
                f"FAN-OUT, {f['clients']:,} websocket clients x {f['updates_per_s']:.0f} updates/s",
                "p50 / p99",
                "",
            )
        )
        for phase, label in (("calm", "all clients reading"), ("stalled", "with one stalled client")):
            stats = f[phase]
            value = f"{stats['p50_ms']:.0f} / {stats['p99_ms']:.0f} ms" if "p99_ms" in stats else "-"
            met = _meets(stats.get("p99_ms", float("inf")) < TARGET_FANOUT_P99_MS)
            target = f"p99 < {TARGET_FANOUT_P99_MS:.0f} ms: {met}"
            out.append(
                (f"  {label}", value, f"{stats['received']:,}/{stats['expected']:,} received; {target}")
            )
            if "clients_loop_lag" in stats:  # the client processes' own share of every delay they stamp
                lag = stats["clients_loop_lag"]
                out.append(
                    (
                        "    the client processes' own loop lag",
                        f"{lag['p50_ms']:.0f} / {lag['p99_ms']:.0f} ms",
                        f"{stats['clients_cores']:.2f} cores used by the clients",
                    )
                )
            if "api_cpu_us_per_delivery" in stats:
                out.append(
                    (
                        "    the api's CPU per message delivered",
                        f"{stats['api_cpu_us_per_delivery']:.1f} µs",
                        "one update to 1,000 walls costs the api 1,000 times this",
                    )
                )
        out.append(
            (
                "  api memory: calm -> with the stalled client",
                f"{_mib(f['api_rss_mib_calm'])} -> {_mib(f['api_rss_mib_stalled'])}",
                "clients behind: {clients_behind}, most messages waiting for one client: {queued_max}".format(
                    **f.get("stalled_readyz", {"clients_behind": "?", "queued_max": "?"})
                ),
            )
        )
    if results.get("fanout_error"):
        out.append(("FAN-OUT", "failed", results["fanout_error"][:90]))
    out += soak_rows(results.get("soak"))
    out += history_rows(results.get("history"))
    mem = results.get("memory")
    if mem:
        out.append(("MEMORY (RSS) after the run", "", ""))
        if t:
            out.append(("  worker after the throughput run", _mib(t["pipeline"]["worker_rss_mib"]), ""))
            out.append(("  naive worker", _mib(t["naive"].get("worker_rss_mib")), ""))
            out.append(("  broker holding the throughput history", _mib(t["broker_rss_mib"]), ""))
        for role, mib in mem.items():
            out.append((f"  {role} of `vigie run` after latency + fan-out", _mib(mib), ""))
    return out


def workers_rows(t: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The worker processes `vigie worker` starts on this machine (tests/bench/throughput.py), when more than
    one: their rate against the ceiling of the same run and against one process."""
    w = t.get("pipeline_workers")
    if not w:
        return []
    rate, one = w["mentions_per_s"], t["pipeline"]["mentions_per_s"]
    return [
        (f"THROUGHPUT, {w['processes']} worker processes (one per core, as `vigie worker` starts)", "", ""),
        (
            f"  Vigie pipeline ({t['mentions']:,} mentions)",
            _rate(rate),
            f"{rate / t['ceiling_mentions_per_s']:.1%} of the ceiling; {rate / one:.2f}x one process",
        ),
        ("  totals exact after the run", "yes" if w["totals_exact"] else "NO", ""),
        ("  memory of the worker processes", _mib(w["worker_rss_mib"]), ""),
        *(
            (
                f"  CPU per mention, cores used: {label}",
                f"{run['cpu_us_per_mention']:.0f} µs",
                f"{run['cores_used']:.2f} cores on average while timed",
            )
            for label, run in (("one process", t["pipeline"]), (f"{w['processes']} processes", w))
            if "cpu_us_per_mention" in run
        ),
    ]


def history_cost_rows(h: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """One worker process with history and archive off, then on, interleaved (tests/bench/history_cost.py)."""
    if not h:
        return []
    runs = h["runs"]
    off = ", ".join(f"{r['mentions_per_s']:,.0f}" for r in runs if not r["on"])
    on = [r for r in runs if r["on"]]
    on_rates = ", ".join(f"{r['mentions_per_s']:,.0f}" for r in on)
    archive_rate = statistics.fmean(r["archive_mentions_per_s"] for r in on)
    archived = min(r["archived"] for r in on)
    exact = all(r["totals_exact"] for r in runs) and all(r["history_exact"] for r in on)
    # Each "on" run against the "off" run just before it: how much one run's noise moves the ratio.
    rate = "mentions_per_s"
    pairs = [b[rate] / a[rate] for a, b in itertools.pairwise(runs) if b["on"] and not a["on"]]
    return [
        (f"HISTORY + ARCHIVE COST, one worker process, runs off/on/off/on ({h['mentions']:,} each)", "", ""),
        ("  history (roll-ups) and archive off", _rate(h["off_mentions_per_s"]), f"runs {off}/s"),
        (
            "  history and archive on (archiver beside the worker)",
            _rate(h["on_mentions_per_s"]),
            f"runs {on_rates}/s",
        ),
        (
            "  on / off",
            f"{h['ratio']:.2f}",
            f"target >= {TARGET_HISTORY_RATIO:.2f}: {_meets(h['ratio'] >= TARGET_HISTORY_RATIO)}",
        ),
        (
            "  on / off, each pair",
            f"median {statistics.median(pairs):.2f}",
            ", ".join(f"{pair:.2f}" for pair in pairs),
        ),
        (
            "  archive kept, archiver rate",
            f"{archived:,} / {h['archived_expected']:,}",
            f"{archive_rate:,.0f} mentions/s from the first partial",
        ),
        ("  totals and roll-ups exact", "yes" if exact else "NO", ""),
        (
            "  CPU per mention: worker off / worker on + archiver",
            f"{_mean(runs, False, 'cpu_us_per_mention'):.0f} / {_mean(runs, True, 'cpu_us_per_mention'):.0f}"
            f" + {_mean(runs, True, 'archiver_cpu_us_per_mention'):.0f} µs",
            "what history and the archive cost whatever the machine's load",
        ),
    ]


def _mean(runs: list[dict[str, Any]], on: bool, key: str) -> float:
    return statistics.fmean(r.get(key, 0.0) for r in runs if r["on"] == on)


#: Epochs of a soak printed one by one; a run with more prints its first and last halves of this.
SOAK_EPOCHS_SHOWN = 12


def soak_rows(soak: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """The endurance run (tests/bench/soak.py): per broker renewal, per third of the run, and the totals."""
    if not soak:
        return []
    exact = soak["probe_total_wall"] == soak["probes_accepted"] == soak["probe_total_history"]
    summed = soak.get("busiest_records_summed", 0)
    out = [
        (
            f"ENDURANCE: demo at {soak['rate_per_s']:,.0f}/s, 1 record/mention, {soak['duration_s']:,.0f} s"
            + (f", renewed at {soak['renew_at_records']:,} records" if soak.get("renew_at_records") else ""),
            "",
            f"load average {soak.get('load_1m_mean')} on average" if soak.get("load_1m_mean") else "",
        ),
        (
            "  records written (without renewal, one partition)",
            f"{soak['raw_records_estimate']:,}",
            "past the ~50,000-100,000 where the embedded broker stops serving reads",
        ),
        (
            "  busiest partition, summed over the broker's epochs",
            f"{summed:,}",
            f"records; past 100,000: {'yes' if summed > 100_000 else 'no'}",
        ),
        (
            "  broker renewals (called off)",
            f"{soak['renewals']} ({soak['renewals_called_off']})",
            f"ingest held {soak['held_s_mean']:.1f} s on average, {soak['held_s_max']:.1f} s at most",
        ),
        ("  busiest partition at most", f"{soak['busiest_records_max'] or 0:,}", "records"),
        ("  fetch of the updates tail at most", f"{soak['tail_fetch_ms_max'] or 0:,.0f} ms", ""),
        (
            "  broker / worker memory at most",
            f"{_mib(soak['broker_rss_mib_max'])} / {_mib(soak.get('worker_rss_mib_max'))}",
            "",
        ),
    ]
    epochs = soak.get("epochs", [])
    if epochs:
        out.append(
            (
                "  per epoch: renewed at, held; busiest partition",
                "tail fetch p50/max",
                "broker / worker RSS at most; probes p50 / p99; load",
            )
        )
    if len(epochs) > SOAK_EPOCHS_SHOWN:  # a run of many renewals: its first and last epochs
        half = SOAK_EPOCHS_SHOWN // 2
        epochs = [*epochs[:half], None, *epochs[-half:]]
    for epoch in epochs:
        if epoch is None:
            out.append(("    ...", "", ""))
            continue
        at = epoch["renewed_at_s"]
        held = epoch["held_s"]
        if at is None:
            when = "not renewed (end)"
        else:
            when = f"{at / 60:.1f} min, " + ("held to the end" if held is None else f"held {held:.1f} s")
        out.append(
            (
                f"    {epoch['epoch'] + 1}: {when}; {epoch['busiest_records']:,} on {epoch['busiest']}",
                f"{epoch['tail_fetch_ms_p50'] or 0:.0f} / {epoch['tail_fetch_ms_max'] or 0:.0f} ms",
                f"{_mib(epoch['broker_rss_mib_max'])} / {_mib(epoch['worker_rss_mib_max'])}; "
                f"{epoch['probe_p50_ms']} / {epoch['probe_p99_ms']} ms ({epoch['probes']}); "
                f"{epoch['load_1m_mean']}",
            )
        )
    for third in soak.get("thirds", []):
        out.append(
            (
                f"  probe POST -> wall p50 / p99, third {third['third']}",
                f"{third['p50_ms']} / {third['p99_ms']} ms",
                f"{third['probes']} probes; those meeting no renewal: {third['calm_p50_ms']} / "
                f"{third['calm_p99_ms']} ms ({third['calm_probes']}); load {third['load_1m_mean']}",
            )
        )
    for name, paused in soak.get("paused", {}).items():
        out.append(
            (
                f"  probe POST -> wall p50 / p99, demo paused, {name} the load",
                f"{paused['p50_ms']} / {paused['p99_ms']} ms",
                f"{paused['probes']} probes; those meeting no renewal: {paused['calm_p50_ms']} / "
                f"{paused['calm_p99_ms']} ms ({paused['calm_probes']})",
            )
        )
    for third in soak.get("thirds", []):
        if third.get("api_rss_mib_mean") is None:
            continue  # a run from before these were sampled
        out.append(
            (
                f"  api / notifier / archiver memory, database, third {third['third']}",
                f"{_mib(third['api_rss_mib_mean'])} / {_mib(third['notifier_rss_mib_mean'])} / "
                f"{_mib(third['archiver_rss_mib_mean'])}",
                f"database {_mib(third['database_mib_mean'])} (means over the third)",
            )
        )
    out.append(
        (
            "  probes counted: wall / history / accepted",
            f"{soak['probe_total_wall']} / {soak['probe_total_history']} / {soak['probes_accepted']}",
            ("exact" if exact else "NOT exact") + f"; {soak['probes_never_shown']} never shown",
        )
    )
    return out


def history_rows(history: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """History queries (tests/bench/history.py)."""
    if not history:
        return []
    return [
        (
            f"HISTORY: {history['watchlists']} watchlists, {history['days']} days of minutes in the database",
            "",
            "",
        ),
        (
            "  7-day history query, p50 / p95",
            f"{history['week_p50_ms']:.1f} / {history['week_p95_ms']:.1f} ms",
            f"target p95 <= 100 ms: {_meets(history['week_p95_ms'] <= 100)}",
        ),
        (
            "  90-day history query by day, p50 / p95",
            f"{history['quarter_p50_ms']:.1f} / {history['quarter_p95_ms']:.1f} ms",
            "",
        ),
        (
            "  one flush of 200 changed watchlists",
            f"{history['flush_ms']:.1f} ms",
            "written off the event loop",
        ),
    ]


def table(results: dict[str, Any]) -> str:
    lines = rows(results)
    width = max(len(what) for what, _, _ in lines)
    value_width = max(len(value) for _, value, _ in lines)
    rendered = [
        f"{'what':{width}}  {'value':>{value_width}}  target / ratio",
        "-" * (width + value_width + 40),
    ]
    rendered += [f"{what:{width}}  {value:>{value_width}}  {note}".rstrip() for what, value, note in lines]
    return "\n".join(rendered)
