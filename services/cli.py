"""The `vigie` command: run everything, or one role, or replay a file."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from services.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {key: value for key in ("host", "port") if (value := getattr(args, key, None)) is not None}
    return Settings(**overrides)


def _logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def cmd_run(args: argparse.Namespace) -> int:
    from services.supervisor import Supervisor

    return Supervisor(_settings(args), demo=not args.no_demo).run()


def cmd_worker(args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    run_worker(_settings(args))
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app

    settings = _settings(args)
    _logging(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        ws="websockets",
        access_log=False,
    )
    return 0


def cmd_broker(args: argparse.Namespace) -> int:
    from services.broker import run_broker_foreground

    return run_broker_foreground(_settings(args).embedded_broker_port)


def cmd_demo(args: argparse.Namespace) -> int:
    from services.sources import run_demo

    settings = _settings(args)
    _logging(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_demo(settings))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from services.sources import run_replay

    settings = _settings(args)
    _logging(settings)
    published, refused = asyncio.run(run_replay(settings, Path(args.file), args.rate))
    print(f"published {published} mentions, refused {refused}")
    return 0 if not refused else 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="vigie", description="Real-time command center for brand mentions.")
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="broker (embedded unless VIGIE_KAFKA_BOOTSTRAP), worker, api and demo"
    )
    run.add_argument("--no-demo", action="store_true", help="do not start the demo source")
    run.add_argument("--host", help="address the api listens on (VIGIE_HOST, default 127.0.0.1)")
    run.add_argument("--port", type=int, help="port the api listens on (VIGIE_PORT, default 8000)")
    run.set_defaults(handler=cmd_run)

    commands.add_parser("worker", help="the Faust agents").set_defaults(handler=cmd_worker)
    api = commands.add_parser("api", help="the HTTP and websocket API and the wall")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.set_defaults(handler=cmd_api)
    commands.add_parser("broker", help="the embedded broker alone, in the foreground").set_defaults(
        handler=cmd_broker
    )
    commands.add_parser("demo", help="the demo source alone").set_defaults(handler=cmd_demo)

    replay = commands.add_parser("replay", help="publish a JSON-lines file of mentions")
    replay.add_argument("file")
    replay.add_argument("--rate", type=float, help="mentions per second (default: as fast as possible)")
    replay.set_defaults(handler=cmd_replay)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
