"""The `vigie` command: run everything, or one role, replay a file, or run a connector."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path

from services.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {key: value for key in ("host", "port") if (value := getattr(args, key, None)) is not None}
    return Settings(**overrides)


def _logging(settings: Settings, role: str) -> None:
    """Text lines for a terminal, or JSON lines (VIGIE_LOG_FORMAT=json); the worker's are set in
    streams/app.py, as Faust configures logging itself."""
    from services.runtime.observability.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format, role)


def cmd_run(args: argparse.Namespace) -> int:
    from services.connectors.specs import SpecError
    from services.runtime.supervisor import Supervisor

    try:
        supervisor = Supervisor(_settings(args), demo=not args.no_demo)
    except SpecError as error:
        print(f"vigie: cannot start: VIGIE_CONNECTORS: {error}", file=sys.stderr)
        return 2
    return supervisor.run()


def cmd_worker(args: argparse.Namespace) -> int:
    from services.runtime.worker_pool import WorkerPool, worker_count

    settings = _settings(args)
    if args.processes is not None and args.processes < 0:
        print(
            f"vigie worker: --processes: expected 0 (one per core) or more, got {args.processes}",
            file=sys.stderr,
        )
        return 2
    count = worker_count(settings, args.processes)
    if count > 1:
        return WorkerPool(settings, count).run()
    return _run_stage(settings, "pipeline")


def cmd_insights(args: argparse.Namespace) -> int:
    return _run_stage(_settings(args), "insights")


def _run_stage(settings: Settings, stage: str) -> int:
    """One process of a Faust stage (streams/app.py), started ahead when GATE_ENV says so."""
    from services.runtime.worker_pool import GATE_ENV, STARTED_AHEAD, wait_for_go
    from streams.app import Stage
    from streams.worker import run_worker  # most of a worker's start is importing this

    if os.environ.get(GATE_ENV):
        print(STARTED_AHEAD, file=sys.stderr, flush=True)
        if not wait_for_go(sys.stdin):
            return 0  # not needed after all
    run_worker(settings, Stage(stage))
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app

    settings = _settings(args)
    _logging(settings, "api")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        # The sans-I/O implementation: the legacy one is deprecated, and its pings could wait behind a send
        # to a stalled client.
        ws="websockets-sansio",
        ws_per_message_deflate=settings.ws_compression,  # per client and message: see the setting
        access_log=False,
        # uvicorn's own lines go through the root logger's handler (text or JSON, secrets redacted).
        log_config=None,
    )
    return 0


def cmd_broker(args: argparse.Namespace) -> int:
    from services.runtime.broker import run_broker_foreground

    return run_broker_foreground(_settings(args).embedded_broker_port)


def cmd_notifier(args: argparse.Namespace) -> int:
    from services.notifier.process import run_notifier
    from services.runtime.heartbeat import beating

    settings = _settings(args)
    _logging(settings, "notifier")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(beating(run_notifier(settings)))
    return 0


def cmd_archiver(args: argparse.Namespace) -> int:
    from services.archive.process import run_archiver
    from services.runtime.heartbeat import beating

    settings = _settings(args)
    _logging(settings, "archiver")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(beating(run_archiver(settings)))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from services.demo.source import run_demo

    settings = _settings(args)
    _logging(settings, "demo")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_demo(settings))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from services.connectors.files import run_replay

    settings = _settings(args)
    _logging(settings, "replay")
    published, refused = asyncio.run(
        run_replay(
            settings,
            Path(args.file),
            args.rate,
            fmt=args.format,
            event_time=args.event_time,
            speed=args.speed,
        )
    )
    print(f"published {published} mentions, refused {refused}")
    return 0 if not refused else 2


def _connector_spec(args: argparse.Namespace) -> dict[str, object]:
    """The spec the `vigie connect` arguments describe (the same objects as in VIGIE_CONNECTORS)."""
    import orjson

    if args.kind == "spec":
        spec: dict[str, object] = orjson.loads(args.json)
        return spec
    if args.kind == "configured":
        from services.connectors.specs import configured_spec

        found: dict[str, object] = configured_spec(_settings(args).connectors, args.configured_name)
        return found
    spec = {"kind": args.kind, "track": [t for t in (args.track or "").split(",") if t.strip()]}
    if args.name:
        spec["name"] = args.name
    if args.kind == "bluesky" and args.url:
        spec["url"] = args.url
    elif args.kind == "mastodon":
        spec.update(
            instance=args.instance, timeline=args.timeline, token=args.token, transport=args.transport
        )
    elif args.kind == "rss":
        spec.update(urls=args.urls, interval_s=args.interval_s)
    return spec


def cmd_connect(args: argparse.Namespace) -> int:
    from services.connectors.process import run_connector_forever
    from services.connectors.specs import SpecError, parse_spec

    settings = _settings(args)
    _logging(settings, "connector")
    try:
        spec = parse_spec(_connector_spec(args))
    except (SpecError, ValueError) as error:
        print(f"vigie connect: {error}", file=sys.stderr)
        return 2
    run_connector_forever(settings, spec)
    return 0


def cmd_connectors(args: argparse.Namespace) -> int:
    """The host of the connectors configured through the API (services/connectors/host.py)."""
    from services.connectors.host import run_host
    from services.connectors.process import run_until_signalled
    from services.runtime.heartbeat import beating

    settings = _settings(args)
    _logging(settings, "connectors")
    run_until_signalled(lambda: beating(run_host(settings)))
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """`vigie keys create|list|revoke`: API keys in the configuration database (services/access/auth.py)."""
    from services.access.auth import KeyStore, parse_scopes
    from services.storage import Store

    store = Store(_settings(args).db_url)
    try:
        keys = KeyStore(store.engine)
        if args.action == "create":
            try:
                record, plaintext = keys.create_key(args.name, parse_scopes(args.scopes))
            except ValueError as error:  # services.access.auth.ScopeError too
                print(f"vigie keys create: {error}", file=sys.stderr)
                return 2
            print(f"created {record.id} {record.name!r} with {','.join(sorted(record.scopes))}")
            print("the key (shown once, keep it):")
            print(plaintext)
            return 0
        if args.action == "revoke":
            revoked = keys.revoke(args.id)
            if revoked is None:
                reason = f"expected the id of a key (vigie keys list), got {args.id!r}"
                print(f"vigie keys revoke: {reason}", file=sys.stderr)
                return 2
            print(f"revoked {revoked.id} {revoked.name!r}")
            return 0
        if args.action == "rotate-display":
            from services.access import wall_token

            settings = _settings(args)
            token = keys.rotate_display()
            wall_token.save(settings.data_dir, token)
            print("the wall's previous token is revoked; walls showing it now say so on screen")
            print(f"the wall's new address: http://{settings.host}:{settings.port}/?token={token}")
            return 0
        row = "{:<17} {:<20} {:<17} {:<17} {:<17} {}"
        print(row.format("id", "scopes", "created (UTC)", "last used", "revoked", "name"))
        for key in keys.list_keys():
            times = (key.created_at, key.last_used_at, key.revoked_at)
            stamps = [f"{t:%Y-%m-%d %H:%M}" if t else "-" for t in times]
            print(row.format(key.id, ",".join(sorted(key.scopes)), *stamps, key.name))
        return 0
    finally:
        store.close()


def _keys_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="API keys: create, list, revoke, rotate the wall's token")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key and print it (once)")
    create.add_argument("--name", required=True, help="who or what uses it")
    create.add_argument(
        "--scopes", required=True, help="comma-separated: ingest, read, operate, admin, display"
    )
    actions.add_parser("list", help="every key, revoked ones too (never the keys themselves)")
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id")
    actions.add_parser(
        "rotate-display",
        help="replace the wall's display token that `vigie run` keeps across restarts (revokes the old one)",
    )
    keys.set_defaults(handler=cmd_keys)


def _connect_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connect = commands.add_parser("connect", help="run one connector (Bluesky, Mastodon, RSS/Atom)")
    kinds = connect.add_subparsers(dest="kind", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--track", help="keep only mentions with these words or #tags (comma-separated)")
        sub.add_argument("--name", help="connector name: its cursor file and status (default: the kind)")
        sub.set_defaults(handler=cmd_connect)

    bluesky = kinds.add_parser("bluesky", help="Bluesky posts through a Jetstream websocket")
    bluesky.add_argument(
        "--url", help="Jetstream address (default wss://jetstream2.us-east.bsky.network/subscribe)"
    )
    common(bluesky)
    mastodon = kinds.add_parser("mastodon", help="a Mastodon streaming timeline (SSE or websocket)")
    mastodon.add_argument("--instance", required=True, help="https://mastodon.example")
    mastodon.add_argument("--timeline", default="public", help="public, local or hashtag:TAG")
    mastodon.add_argument("--token", help="access token, for servers that require one")
    mastodon.add_argument(
        "--transport", choices=["sse", "websocket"], default="sse", help="server-sent events or websocket"
    )
    common(mastodon)
    rss = kinds.add_parser("rss", help="RSS 2.0 / Atom feeds, polled")
    rss.add_argument("urls", nargs="+", metavar="URL")
    rss.add_argument("--interval-s", type=float, default=300.0, help="seconds between polls of a feed")
    common(rss)
    spec = kinds.add_parser("spec", help="a connector described as JSON (as in VIGIE_CONNECTORS)")
    spec.add_argument("json")
    spec.set_defaults(handler=cmd_connect)
    configured = kinds.add_parser("configured", help="the connector of VIGIE_CONNECTORS with this name")
    configured.add_argument("configured_name", metavar="NAME")
    configured.set_defaults(handler=cmd_connect)


#: The settings that matter most to each role, named in its --help (every one is documented, with its
#: default, in services/settings.py; all are environment variables prefixed VIGIE_).
ROLE_ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "run": (
        "VIGIE_HOST",
        "VIGIE_PORT",
        "VIGIE_KAFKA_BOOTSTRAP",
        "VIGIE_EMBEDDED_BROKER_PORT",
        "VIGIE_DATA_DIR",
        "VIGIE_DATABASE_URL",
        "VIGIE_WORKERS",
        "VIGIE_CONNECTORS",
        "VIGIE_LOG_LEVEL",
        "VIGIE_BROKER_ROTATE_RECORDS_PER_PARTITION",
        "VIGIE_HISTORY_DAYS",
    ),
    "worker": (
        "VIGIE_WORKERS",
        "VIGIE_KAFKA_BOOTSTRAP",
        "VIGIE_TOPIC_PARTITIONS",
        "VIGIE_CONSUMER_FETCH_MAX_WAIT_MS",
        "VIGIE_SENTIMENT_BACKEND",
        "VIGIE_DEDUPE_CAPACITY",
        "VIGIE_COUNT_COORDINATED",
        "VIGIE_HEALTH_PORT",
        "VIGIE_LOG_FORMAT",
    ),
    "insights": (
        "VIGIE_KAFKA_BOOTSTRAP",
        "VIGIE_INSIGHTS_PUBLISH_INTERVAL_S",
        "VIGIE_ALERT_TICK_INTERVAL_S",
        "VIGIE_SENTIMENT_BACKEND",
        "VIGIE_HEALTH_PORT",
        "VIGIE_LOG_FORMAT",
    ),
    "api": (
        "VIGIE_HOST",
        "VIGIE_PORT",
        "VIGIE_KAFKA_BOOTSTRAP",
        "VIGIE_DATABASE_URL",
        "VIGIE_AUTH_ENABLED",
        "VIGIE_METRICS_PUBLIC",
        "VIGIE_CORS_ORIGINS",
        "VIGIE_INGEST_RATE_PER_S",
        "VIGIE_INGEST_LINGER_MS",
        "VIGIE_LOG_FORMAT",
    ),
    "notifier": (
        "VIGIE_KAFKA_BOOTSTRAP",
        "VIGIE_DATABASE_URL",
        "VIGIE_DELIVERY_RETRY_DELAYS_S",
        "VIGIE_DELIVERY_ALLOW_PRIVATE_TARGETS",
        "VIGIE_SMTP_HOST",
        "VIGIE_PUBLIC_URL",
        "VIGIE_HEALTH_PORT",
    ),
    "connectors": ("VIGIE_KAFKA_BOOTSTRAP", "VIGIE_DATABASE_URL", "VIGIE_DATA_DIR", "VIGIE_HEALTH_PORT"),
    "archiver": ("VIGIE_KAFKA_BOOTSTRAP", "VIGIE_DATABASE_URL", "VIGIE_ARCHIVE_DAYS", "VIGIE_HEALTH_PORT"),
    "demo": ("VIGIE_KAFKA_BOOTSTRAP", "VIGIE_DEMO_RATE_PER_S", "VIGIE_DEMO_SEED"),
    "broker": ("VIGIE_EMBEDDED_BROKER_PORT",),
}


def _role(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str
) -> argparse.ArgumentParser:
    """A role's sub-command, whose --help names the environment variables that matter to it."""
    environment = ", ".join(ROLE_ENVIRONMENT[name])
    return commands.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=f"Environment: {environment} (see services/settings.py for every setting and its default).",
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="vigie", description="Real-time command center for brand mentions.")
    commands = top.add_subparsers(dest="command", required=True)

    run = _role(
        commands,
        "run",
        "everything on this machine: the broker (embedded unless VIGIE_KAFKA_BOOTSTRAP), workers, insights, "
        "api, notifier, connectors and the demo; Ctrl-C stops them, the broker last; logs in "
        "$VIGIE_DATA_DIR/logs/",
    )
    run.add_argument("--no-demo", action="store_true", help="do not start the demo source")
    run.add_argument("--host", help="address the api listens on (VIGIE_HOST, default 127.0.0.1)")
    run.add_argument("--port", type=int, help="port the api listens on (VIGIE_PORT, default 8000)")
    run.set_defaults(handler=cmd_run)

    worker = _role(
        commands,
        "worker",
        "the Faust agents of the wall's pipeline: enrich and aggregate; one process per core "
        "(VIGIE_WORKERS), sharing the partitions",
    )
    worker.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="worker processes on this machine (default VIGIE_WORKERS; 0: one per core); at most "
        "VIGIE_TOPIC_PARTITIONS",
    )
    worker.set_defaults(handler=cmd_worker)
    _role(
        commands,
        "insights",
        "the Faust agents of swarms, influencers, coordination and alerts, over the whole stream: run one",
    ).set_defaults(handler=cmd_insights)
    api = _role(commands, "api", "the HTTP and websocket API, the wall and the console")
    api.add_argument("--host", help="address to listen on (VIGIE_HOST, default 127.0.0.1)")
    api.add_argument("--port", type=int, help="port to listen on (VIGIE_PORT, default 8000)")
    api.set_defaults(handler=cmd_api)
    _role(commands, "broker", "the embedded broker alone, in the foreground").set_defaults(handler=cmd_broker)
    _role(commands, "notifier", "alert delivery (webhooks, Slack, PagerDuty, e-mail)").set_defaults(
        handler=cmd_notifier
    )
    _role(
        commands, "archiver", "keep enriched mentions in the database, searchable (VIGIE_ARCHIVE_DAYS)"
    ).set_defaults(handler=cmd_archiver)
    _role(commands, "demo", "the demo source alone").set_defaults(handler=cmd_demo)

    replay = commands.add_parser(
        "replay", help="publish a file of mentions (JSON lines, CSV, Twitter export)"
    )
    replay.add_argument("file")
    pace = replay.add_mutually_exclusive_group()
    pace.add_argument("--rate", type=float, help="mentions per second (default: as fast as possible)")
    pace.add_argument("--event-time", action="store_true", help="at the pace of the mentions' timestamps")
    replay.add_argument("--speed", type=float, default=1.0, help="with --event-time: this many times faster")
    replay.add_argument(
        "--format", choices=["jsonl", "csv", "twitter"], help="default: from the extension (.csv, .json)"
    )
    replay.set_defaults(handler=cmd_replay)
    _connect_parser(commands)
    _role(
        commands, "connectors", "run the connectors configured through the API (POST /api/v1/connectors)"
    ).set_defaults(handler=cmd_connectors)
    _keys_parser(commands)
    _corrections_parser(commands)
    return top


def cmd_corrections(args: argparse.Namespace) -> int:
    """`vigie corrections export`: the sentiment people set, as training files.

    See services/understanding/corrections.py.
    """
    from services.archive.store import Archive
    from services.storage import Store
    from services.understanding.corrections import CorrectionStore, export_training
    from services.understanding.matching import CompiledWatchlists

    settings = _settings(args)
    archive, store = Archive(settings.db_url), Store(settings.db_url)
    try:
        labelled = CorrectionStore(archive, grace_s=settings.window_grace_s).labelled()
        matcher = CompiledWatchlists(store.list_watchlists())  # watched terms are masked, as before scoring
    finally:
        archive.close()
        store.close()
    folder = Path(args.output) if args.output else settings.data_dir / "corrections"
    counts = export_training(labelled, folder, matcher.mask)
    shown = ", ".join(f"{lang} {count}" for lang, count in counts.items()) or "none"
    print(f"{len(labelled)} corrected mentions -> {folder}/corrections_<lang>.tsv ({shown})")
    print(f"retrain with them: make train-sentiment CORRECTIONS={folder}")
    return 0


def _corrections_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    corrections = commands.add_parser("corrections", help="sentiment corrections people made, for training")
    actions = corrections.add_subparsers(dest="action", required=True)
    export = actions.add_parser(
        "export",
        help="write the latest label of each corrected mention, one neg|neu|pos<TAB>text file per language",
    )
    export.add_argument("--output", help="folder (default: $VIGIE_DATA_DIR/corrections)")
    corrections.set_defaults(handler=cmd_corrections)


def main(argv: list[str] | None = None) -> int:
    from services.runtime.lifeline import watch_supervisor_from_env

    args = parser().parse_args(argv)
    if args.command != "run":
        watch_supervisor_from_env()  # a role of `vigie run` stops when it is gone
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
