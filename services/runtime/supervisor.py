"""`vigie run`: the embedded broker and every role on one machine, started in order, stopped in order.

Each role is a child process (`python -m services.runtime.cli <role>`), and so is the embedded broker, each in
its own session: Ctrl-C typed in the terminal reaches the supervisor alone, which then stops the sources
first, then the api and the notifier, then the workers, and the broker last. There is one worker process per
core (VIGIE_WORKERS; services/runtime/worker_pool.py), `worker-1`, `worker-2`, ..., one consumer group sharing
the partitions, and one `insights` process (swarms, influencers, coordination, alerts; streams/app.py),
treated as a worker (restarted with the broker, stopped last); the room is ready once each holds
partitions. Children never outlive the supervisor, even one killed with SIGKILL
(services/runtime/lifeline.py). A role that dies is restarted with a growing delay, and the terminal says so;
so is one that hangs: the event loops of the workers, the api, the notifier, the archiver and the connectors
beat on a file, and a process whose beat stops for VIGIE_ROLE_STUCK_AFTER_S is killed first
(services/runtime/heartbeat.py).

The terminal shows progress while starting, the addresses, then only what calls for action: each role writes
its whole log to `$VIGIE_DATA_DIR/logs/<role>.log` (`worker-1.log`, `api.log`, ...), and the supervisor
repeats the lines a person must act on (services/runtime/observability/terminal.py); its own library chatter
goes to `logs/supervisor.log`.

The embedded broker keeps everything in memory: when it dies, the supervisor starts it again on the same
port, declares the topics again and republishes the configuration from the database (watchlists and rule
sets travel on `vigie.config`), then restarts the workers, whose windows and internal topics lived on the
lost broker. The api and the notifier reconnect by themselves. The terminal says what was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.errors import KafkaError
from sqlalchemy.exc import SQLAlchemyError

from services.runtime.broker import start_broker, stop_broker, wait_for_port
from services.runtime.broker_watch import BrokerLimits, BrokerReading, assess, read_broker
from services.runtime.epoch import write_epoch
from services.runtime.heartbeat import HEARTBEAT_FILE_ENV, last_beat, stuck_for
from services.runtime.hold import IngestHold
from services.runtime.kafka import TOPICS, declare_topics, wait_for_broker
from services.runtime.lifeline import SUPERVISOR_PID_ENV, die_with_parent
from services.runtime.observability.logs import log_to_file
from services.runtime.observability.terminal import LogFollower
from services.runtime.rotation import (
    DRAINED_TOPICS,
    RenewalStep,
    expected_consumers,
    new_epoch,
    pipeline_lag,
    renewal_forced,
    renewal_step,
    restarted_with_broker,
    rotation_reason,
    wait_drained,
)
from services.runtime.worker_pool import (
    GATE_ENV,
    GO,
    insights_argv,
    restart_delay_s,
    worker_argv,
    worker_count,
    worker_env,
)
from services.settings import Settings
from services.storage import Store

STOP_TIMEOUT_S = 15.0
#: Roles stop in waves, each wave once the one before has stopped: sources first, the workers last (the
#: broker after every role). A role whose kind is not named here stops with the first wave.
STOP_WAVES = (("api", "notifier"), ("worker",))
#: While starting, how often the terminal says what is still awaited.
PROGRESS_EVERY_S = 5.0
#: How often a standing warning about the embedded broker is repeated on the terminal.
BROKER_WARNING_REPEAT_S = 600.0
#: An embedded broker that dies sooner than this after being (re)started is not restarted again: stop.
BROKER_CRASH_LOOP_S = 10.0
#: Kinds of roles whose state lived on the broker: restarted after the embedded broker is.
ROLES_RESTARTED_WITH_BROKER = ("worker",)
#: Kinds of roles whose event loop beats on a file, and which are killed and restarted when it stops for
#: `role_stuck_after_s` (services/runtime/heartbeat.py): all but the sources (a paused demo is no fault).
ROLES_WATCHED = ("worker", "api", "notifier", "archiver", "connectors")
#: The watch loop not having run for this long (a suspended machine, a renewal) restarts the count of every
#: role's silence: their loops stood still with it.
WATCH_PAUSE_S = 10.0


log = logging.getLogger(__name__)


def say(message: str) -> None:
    """A line for the person at the terminal (and for the supervisor's log file)."""
    log.info(message)
    try:
        print(f"vigie: {message}", flush=True)
    except OSError as error:  # the terminal was closed (SIGHUP): the log file still has it
        log.warning("could not write to the terminal: %s", error)


def log_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "logs"


@dataclass
class Role:
    name: str
    argv: list[str]
    #: What it is ("worker" for worker-1, worker-2, ...): when it stops, whether it restarts with the broker.
    kind: str = ""
    #: What its environment adds to (or changes in) the roles' common one.
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start_at: float = 0.0
    started_at: float = field(default_factory=time.monotonic)
    log: LogFollower | None = None
    #: Set when the supervisor itself killed the role (after the broker died): no last lines to show.
    killed_on_purpose: bool = False
    #: The role's next process, started ahead and waiting for "go" (worker_pool.GATE_ENV), if any.
    ahead: subprocess.Popen[bytes] | None = None
    #: The file its event loop beats on (ROLES_WATCHED), and when its process started, by the wall clock.
    heartbeat: Path | None = None
    started_wall: float = field(default_factory=time.time)

    @property
    def log_name(self) -> str:
        return self.name.replace(" ", "-") + ".log"

    def __post_init__(self) -> None:
        self.kind = self.kind or self.name

    def start(self, env: dict[str, str], logs: Path) -> None:
        """Start the role in its own session, writing its output to `logs/<role>.log`: the process started
        ahead when there is one (`start_ahead`), else a new one."""
        if self.ahead is not None and self.ahead.poll() is None and self.ahead.stdin is not None:
            try:
                self.ahead.stdin.write(GO)
                self.ahead.stdin.close()
            except OSError:  # it died meanwhile: a new one below
                self.ahead = None
            else:
                self.process, self.ahead = self.ahead, None
                self.started_at, self.started_wall = time.monotonic(), time.time()
                return
        self.ahead = None  # none, or it died before it was needed
        self.process = self._spawn(env, logs, ahead=False)
        self.started_at, self.started_wall = time.monotonic(), time.time()

    def start_ahead(self, env: dict[str, str], logs: Path) -> None:
        """Start the role's next process now, to wait for `start` (a worker imports its code meanwhile)."""
        if self.ahead is None or self.ahead.poll() is not None:
            self.ahead = self._spawn({**env, GATE_ENV: "1"}, logs, ahead=True)

    def drop_ahead(self) -> None:
        if self.ahead is not None:
            if self.ahead.stdin is not None:
                self.ahead.stdin.close()  # it exits without a word
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.ahead.wait(timeout=5)
            if self.ahead.poll() is None:
                self.ahead.kill()
                self.ahead.wait()
            self.ahead = None

    def _spawn(self, env: dict[str, str], logs: Path, ahead: bool) -> subprocess.Popen[bytes]:
        if self.log is None:
            self.log = LogFollower(logs / self.log_name)
            self.log.skip_to_end()  # what a previous run wrote is not news
        with self.log.path.open("ab") as output:
            return subprocess.Popen(
                self.argv,
                env={**env, **self.env},
                start_new_session=True,
                stdin=subprocess.PIPE if ahead else subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
            )

    def wave(self) -> int:
        """When it stops (STOP_WAVES): 0 for the sources, then in order."""
        return next((i + 1 for i, kinds in enumerate(STOP_WAVES) if self.kind in kinds), 0)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def role_argv(role: str) -> list[str]:
    return [sys.executable, "-m", "services.runtime.cli", role]


def seed_demo_watchlists(settings: Settings) -> int:
    """Create the demo's watchlists that do not exist yet; return how many were created."""
    from services.demo import demo_watchlists

    store = Store(settings.db_url)
    try:
        created = 0
        for watchlist in demo_watchlists():
            if store.get_watchlist(watchlist.id) is None:
                store.save_watchlist(watchlist)
                created += 1
        return created
    finally:
        store.close()


def issue_run_keys(settings: Settings) -> tuple[str, str]:
    """This run's display token (the wall's, kept from the previous run while it is live: see
    services/access/wall_token.py) and admin key (the console's; the previous run's is revoked)."""
    from services.access import wall_token
    from services.access.auth import KeyStore

    store = Store(settings.db_url)
    try:
        kept = wall_token.load(settings.data_dir)
        display, admin = KeyStore(store.engine).issue_run_keys(keep_display=kept)
        if display != kept:
            wall_token.save(settings.data_dir, display)
        return display, admin
    finally:
        store.close()


async def republish_config(settings: Settings) -> tuple[int, int]:
    """Publish every watchlist and rule set of the database on `vigie.config`, and the open alerts on
    `vigie.alerts` (the rule engine re-evaluates them); return how many watchlists and rule sets."""
    from api.alert_feed import republish_open_alerts
    from services.alerts.engine import publish_rules
    from services.alerts.store import AlertStore
    from services.runtime.config_feed import publish_watchlists
    from services.runtime.kafka import ALERTS, CONFIG, make_producer

    store = Store(settings.db_url)
    producer = make_producer(settings)
    await producer.start()
    try:
        watchlists = store.list_watchlists()
        rules = AlertStore(store.engine).all_rules()
        await publish_watchlists(producer, settings.topic(CONFIG), watchlists)
        await publish_rules(producer, settings.topic(CONFIG), dict(rules))
        await republish_open_alerts(AlertStore(store.engine), producer, settings.topic(ALERTS))
        return len(watchlists), len(rules)
    finally:
        await producer.stop()
        store.close()


#: Cores `vigie run` leaves to the insights process when VIGIE_WORKERS is `auto`: on 2 cores, one pipeline
#: worker beside it rather than two. At 5,000 mentions/s on this 2-core machine (POST to wall, interleaved
#: runs of 20 to 60 s, 2026-12-07), one worker gave the lower p50 in 12 of 15 pairs (median 210 ms against
#: 516) and the lower p99 in 10 of 15 (median 628 ms against 1,793), for about the same CPU per mention over
#: the whole stack: one runnable process fewer on a saturated machine. Where cores have room, the others
#: still get a worker each.
INSIGHTS_CORES = 1


def worker_roles(settings: Settings) -> list[Role]:
    """`worker-1` ... `worker-N`, one per core but one (VIGIE_WORKERS; `INSIGHTS_CORES`), and `insights`, each
    with a health port of its own. All are of kind "worker": Faust processes, restarted with the broker,
    stopped last, and the room is ready once each holds its partitions."""
    count = worker_count(settings, beside=INSIGHTS_CORES)
    workers = [
        Role(f"worker-{i + 1}", worker_argv(), kind="worker", env=worker_env({}, i, settings.health_port))
        for i in range(count)
    ]
    insights_env = worker_env({}, count, settings.health_port)
    insights = Role("insights", insights_argv(), kind="worker", env=insights_env)
    return [*workers, insights]


#: Roles other than the workers that serve /healthz, /readyz and /metrics on VIGIE_HEALTH_PORT (the api
#: serves its own on its port; a configured connector's role is `connector <name>`).
HEALTH_ROLES = ("notifier", "archiver", "connectors")


def give_health_ports(roles: list[Role], base: int) -> dict[str, int]:
    """With VIGIE_HEALTH_PORT set (`base`), every role that serves health checks gets a port of its own,
    as they share one machine: the workers the first ones (worker_env), then the others in order. Returns
    each role's port (empty when off)."""
    if not base:
        return {}
    ports = {role.name: int(role.env["VIGIE_HEALTH_PORT"]) for role in roles if role.kind == "worker"}
    port = base + len(ports)
    for role in roles:
        if role.kind in HEALTH_ROLES or role.name.startswith("connector "):
            role.env["VIGIE_HEALTH_PORT"] = str(port)
            ports[role.name] = port
            port += 1
    return ports


def watch_heartbeats(roles: list[Role], folder: Path) -> None:
    """Give each role of ROLES_WATCHED a heartbeat file of its own in `folder`."""
    for role in roles:
        if role.kind in ROLES_WATCHED:
            role.heartbeat = folder / f"{role.name.replace(' ', '-')}.heartbeat"
            role.env[HEARTBEAT_FILE_ENV] = str(role.heartbeat)


def pipeline_waiting_for(readyz_url: str, workers: int = 1) -> str:
    """What the pipeline still waits for ("" once the api is ready and `workers` workers hold partitions)."""
    try:
        with urllib.request.urlopen(readyz_url, timeout=2) as response:
            alive: int = json.loads(response.read()).get("workers_alive", 0)
            if alive >= workers:
                return ""
            if workers == 1:
                return "a worker to take its partitions"
            return f"{workers - alive} of {workers} workers to take their partitions"
    except urllib.error.HTTPError as error:
        return f"the api to be ready ({error.code})"
    except (urllib.error.URLError, OSError, ValueError):
        return "the api to answer"


def connector_roles(settings: Settings) -> list[Role]:
    """One role per configured connector (VIGIE_CONNECTORS); raises SpecError naming a bad one."""
    from services.connectors.specs import parse_specs, spec_name

    names = [spec_name(spec) for spec in parse_specs(settings.connectors)]
    return [Role(f"connector {name}", [*role_argv("connect"), "configured", name]) for name in names]


def _terminate(members: list[Role], deadline: float) -> None:
    """SIGTERM every running role of `members` at once, wait for each until `deadline`, kill the rest."""
    for role in members:
        if role.alive() and role.process is not None:
            role.process.send_signal(signal.SIGTERM)
    for role in members:
        assert role.process is not None
        try:
            role.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{role.name} did not stop in {STOP_TIMEOUT_S:.0f} s; killing it ({role.log_name})")
            role.process.kill()
            role.process.wait()


class Supervisor:
    def __init__(self, settings: Settings, demo: bool) -> None:
        self.settings = settings
        self.demo = demo
        self.broker: subprocess.Popen[bytes] | None = None
        self.broker_started_at = 0.0
        self.roles = [
            *worker_roles(settings),
            Role("api", role_argv("api")),
            Role("notifier", role_argv("notifier")),
            Role("archiver", role_argv("archiver")),
            Role("connectors", role_argv("connectors")),
        ]
        if demo:
            self.roles.append(Role("demo", role_argv("demo")))
        self.roles.extend(connector_roles(settings))
        #: Where each role serves its health checks (VIGIE_HEALTH_PORT; empty when off).
        self.health_ports = give_health_ports(self.roles, settings.health_port)
        watch_heartbeats(self.roles, Path(settings.data_dir).resolve() / "heartbeats")
        #: When the watch loop last ran and since when it has run without a pause (wall clock).
        self._watched_at = self._watching_since = time.time()
        self.stopping = False
        self.hold = IngestHold(settings.data_dir)
        self.epoch = ""
        self.env: dict[str, str] = {}
        self._broker_checked_at = time.monotonic()
        self._renewed_at = -1e18
        self._broker_warned: dict[str, float] = {}
        #: Since when ingest is held because the pipeline fell behind while a partition neared what the
        #: broker can serve (None: it is not).
        self._backlog_held_since: float | None = None
        #: This run's display token and admin key, printed in the wall's and the console's addresses.
        self.display_token = ""
        self.admin_key = ""

    def _check_broker(self) -> None:
        """Warn on the terminal (and so in the log) when the embedded broker nears its limits."""
        interval_s = self.settings.broker_check_interval_s
        if self.broker is None or time.monotonic() - self._broker_checked_at < interval_s:
            return
        self._broker_checked_at = now = time.monotonic()
        settings = self.settings
        topics = [settings.topic(spec.name) for spec in TOPICS]
        try:
            reading = asyncio.run(read_broker(settings.bootstrap, topics, self.broker.pid))
        except (OSError, RuntimeError, TimeoutError) as error:
            say(f"could not read the embedded broker's state: {error}")
            return
        limit = settings.broker_rotate_records_per_partition
        reason = rotation_reason(reading, limit, settings.broker_rotate_memory_mib)
        forced = renewal_forced(reading.busiest[1] if reading.busiest is not None else 0, limit)
        if self._backlog_held_since is not None and not forced:
            self._release_backlog_hold("the embedded broker's partitions are no longer near their limit")
        due = reason is not None and (forced or now - self._renewed_at >= settings.broker_rotate_cooldown_s)
        if due and reason is not None:
            step = self._renewal_step(reading)
            if step is RenewalStep.RENEW:
                if not self._rotate_broker(reason, forced=forced) and forced:
                    self._hold_for_backlog(reason, None)
                return
            if step is RenewalStep.HOLD_INGEST:
                return
        limits = BrokerLimits(settings.broker_memory_warn_mib, settings.broker_records_warn_per_partition)
        for kind, message in assess(reading, limits):
            if now - self._broker_warned.get(kind, -1e18) >= BROKER_WARNING_REPEAT_S:
                self._broker_warned[kind] = now
                say(f"warning: {message}")

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[SUPERVISOR_PID_ENV] = str(os.getpid())
        env["VIGIE_HOST"] = self.settings.host
        env["VIGIE_PORT"] = str(self.settings.port)
        env["VIGIE_DATA_DIR"] = str(Path(self.settings.data_dir).resolve())
        if self.settings.kafka_bootstrap:
            env["VIGIE_KAFKA_BOOTSTRAP"] = self.settings.kafka_bootstrap
        return env

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.stopping:
            say("stopping already; press Ctrl-C again in a few seconds to force")
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        self.stopping = True

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal was closed
            signal.signal(signum, self._on_signal)
        settings = self.settings
        logs = log_dir(settings)
        logs.mkdir(parents=True, exist_ok=True)
        log_to_file(logs / "supervisor.log", settings.log_level, settings.log_format, "supervisor")
        try:
            if settings.uses_embedded_broker:
                log_path = logs / "broker.log"
                say(f"starting the embedded broker on {settings.bootstrap}")
                self.hold.release()  # left by a run stopped in the middle of renewing its broker
                self.broker = start_broker(settings.embedded_broker_port, log_path)
                self.broker_started_at = time.monotonic()
                self.epoch = new_epoch()
                write_epoch(settings.data_dir, self.epoch)
            else:
                say(f"using the Kafka cluster at {settings.bootstrap}")
            asyncio.run(wait_for_broker(settings.bootstrap, timeout_s=60))
            created = asyncio.run(declare_topics(settings))
            if created:
                say(f"declared {len(created)} topics")
            if self.demo:
                seeded = seed_demo_watchlists(settings)
                if seeded:
                    say(f"seeded {seeded} demo watchlists")
            if settings.auth_enabled:
                self.display_token, self.admin_key = issue_run_keys(settings)
            self.env = self._env()
            for role in self.roles:
                role.start(self.env, logs)
            say(f"started {', '.join(role.name for role in self.roles)} (their logs: {logs}/)")
            if self.health_ports:
                where = ", ".join(f"{name} {port}" for name, port in self.health_ports.items())
                say(f"health checks (/healthz, /readyz, /metrics) on {settings.host}: {where}")
            return self._watch()
        except (RuntimeError, TimeoutError, SQLAlchemyError) as error:
            say(f"cannot start: {error}")
            return 1
        finally:
            self._stop_all()

    def _watch(self) -> int:
        base = f"http://{self.settings.host}:{self.settings.port}"
        announced = False
        started = progress_at = time.monotonic()
        workers = sum(role.kind == "worker" for role in self.roles)
        while not self.stopping:
            waiting_for = "" if announced else pipeline_waiting_for(f"{base}/readyz", workers)
            if not announced and waiting_for and time.monotonic() - progress_at >= PROGRESS_EVERY_S:
                progress_at = time.monotonic()
                say(f"starting ({progress_at - started:.0f} s): waiting for {waiting_for}")
            if not announced and not waiting_for:
                announced = True
                say(f"ready in {time.monotonic() - started:.1f} s")
                wall, console = f"{base}/", f"{base}/console.html"
                if self.display_token:
                    wall, console = f"{wall}?token={self.display_token}", f"{console}?key={self.admin_key}"
                say(f"the wall is live at {wall}   (API docs: {base}/docs; Ctrl-C stops everything)")
                say(f"the console: {console}")
            if self.broker is not None and self.broker.poll() is not None and not self._restart_broker():
                return 1
            self._check_broker()
            now = time.monotonic()
            self._note_watch(time.time())
            for role in self.roles:
                for line in role.log.to_say(now) if role.log else []:
                    say(f"{role.name}: {line}")
                if role.alive() and not self._killed_stuck(role):
                    continue
                if role.next_start_at == 0.0:
                    code = role.process.returncode if role.process else None
                    delay = restart_delay_s(role.restarts, now - role.started_at)
                    if now - role.started_at > 60:
                        role.restarts = 0
                    say(f"{role.name} exited with code {code}; restarting in {delay:.0f} s")
                    if role.log is not None and not role.killed_on_purpose:
                        say(f"its last lines ({role.log.path}):")
                        for line in role.log.tail():
                            say(f"  | {line}")
                    role.next_start_at = now + delay
                elif now >= role.next_start_at:
                    role.killed_on_purpose = False
                    role.restarts += 1
                    role.next_start_at = 0.0
                    role.start(self.env, log_dir(self.settings))
            time.sleep(0.2)
        say("stopping")
        return 0

    def _note_watch(self, now: float) -> None:
        if now - self._watched_at > WATCH_PAUSE_S:
            self._watching_since = now
        self._watched_at = now

    def _killed_stuck(self, role: Role) -> bool:
        """Kill the role when its event loop has not beaten for `role_stuck_after_s` (the watch then restarts
        it like any role that exited); True when it did."""
        if role.heartbeat is None or role.process is None:
            return False
        since = max(role.started_wall, self._watching_since)
        now = time.time()
        silent = stuck_for(
            last_beat(role.heartbeat), role.started_wall, since, now, self.settings.role_stuck_after_s
        )
        if silent is None:
            return False
        say(
            f"{role.name} has been stuck for {silent:.0f} s (alive, its event loop not running); "
            "killing it so that it starts again"
        )
        role.process.kill()
        role.process.wait()
        return True

    def _restart_broker(self) -> bool:
        """Start the embedded broker again after it died, and bring it back to what the roles expect;
        False (having said why) when it cannot be, and `vigie run` should stop."""
        assert self.broker is not None
        settings = self.settings
        code = self.broker.returncode
        if time.monotonic() - self.broker_started_at < BROKER_CRASH_LOOP_S:
            log_path = log_dir(settings) / "broker.log"
            say(f"the embedded broker exited with code {code} within {BROKER_CRASH_LOOP_S:.0f} s of starting")
            say(f"not restarting it again; see {log_path}. Stopping")
            return False
        say(
            f"the embedded broker exited with code {code}; restarting it on {settings.bootstrap}. "
            "It kept its topics in memory: mentions it held that were not yet counted are lost, while "
            "windows and history go on from the database; topics are declared again and the configuration "
            "republished"
        )
        for role in self.roles:
            if role.kind in ROLES_RESTARTED_WITH_BROKER and role.alive() and role.process is not None:
                # Its state lived on the lost broker, so there is nothing to save, and a graceful stop
                # hangs on the dead connections: kill it; the watch loop starts it again.
                role.killed_on_purpose = True
                role.process.kill()
                role.process.wait()
        try:
            created, watchlists, rules = self._start_fresh_broker()
        except (RuntimeError, TimeoutError, OSError, KafkaError, SQLAlchemyError) as error:
            say(f"could not restart the embedded broker: {error}; stopping")
            return False
        say(
            f"the embedded broker restarted: declared {len(created)} topics, republished {watchlists} "
            f"watchlists and {rules} rule sets; the workers restart from the window states last saved"
        )
        return True

    def _start_fresh_broker(
        self, on_topics_declared: Callable[[], None] | None = None
    ) -> tuple[list[str], int, int]:
        """Start an empty embedded broker on the same port under a new epoch, declare the topics and
        republish the configuration; return the topics declared and the watchlists and rule sets sent."""
        settings = self.settings
        self.broker = start_broker(settings.embedded_broker_port, log_dir(settings) / "broker.log")
        self.broker_started_at = time.monotonic()
        self.epoch = new_epoch()
        write_epoch(settings.data_dir, self.epoch)
        self.env = self._env()
        wait_for_port(settings.embedded_broker_port, timeout_s=30)
        asyncio.run(wait_for_broker(settings.bootstrap, timeout_s=30))
        created = asyncio.run(declare_topics(settings))
        if on_topics_declared is not None:
            on_topics_declared()
        watchlists, rules = asyncio.run(republish_config(settings))
        return created, watchlists, rules

    def _stop_roles(self, kind: str) -> None:
        """Stop the roles of a kind cleanly and together (SIGTERM; killed after STOP_TIMEOUT_S); the watch
        does not restart them until `_start_roles`. Together: a worker that stopped alone would hand its
        partitions to those still running, who would then save state they only just took over."""
        members = [role for role in self.roles if role.kind == kind and role.process is not None]
        for role in members:
            role.next_start_at = float("inf")
        _terminate(members, time.monotonic() + STOP_TIMEOUT_S)

    def _start_roles_ahead(self, kind: str) -> None:
        """Start the next processes of the roles of a kind, waiting until `_start_roles` lets them go."""
        for role in self.roles:
            if role.kind == kind:
                role.start_ahead(self.env, log_dir(self.settings))

    def _start_roles(self, kind: str) -> None:
        """Start again the roles of a kind that are not running."""
        for role in self.roles:
            if role.kind == kind and not role.alive():
                role.next_start_at = 0.0
                role.start(self.env, log_dir(self.settings))

    def _renewal_step(self, reading: BrokerReading) -> RenewalStep:
        """What a due renewal does now (services/runtime/rotation.py `renewal_step`): holds ingest while the
        pipeline catches up when forced, or says (at most every BROKER_WARNING_REPEAT_S) that it waits."""
        settings = self.settings
        topics = [settings.topic(name) for name in DRAINED_TOPICS]
        busiest = reading.busiest[1] if reading.busiest is not None else 0
        try:
            lag = asyncio.run(
                pipeline_lag(settings.bootstrap, topics, expected_consumers(settings.topic_prefix))
            )
        except (OSError, RuntimeError, TimeoutError, KafkaError) as error:
            say(f"could not read the pipeline's backlog: {error}")
            return RenewalStep.WAIT if self._backlog_held_since is None else RenewalStep.HOLD_INGEST
        backlog = sum(lag.values())
        step = renewal_step(
            backlog,
            busiest,
            settings.broker_rotate_records_per_partition,
            settings.broker_rotate_hold_backlog_records,
        )
        if step is RenewalStep.HOLD_INGEST:
            self._hold_for_backlog(
                f"partition {reading.busiest[0] if reading.busiest else '?'} holds {busiest:,} records",
                backlog,
            )
        elif step is RenewalStep.WAIT:
            now = time.monotonic()
            if now - self._broker_warned.get("renewal waits", -1e18) >= BROKER_WARNING_REPEAT_S:
                self._broker_warned["renewal waits"] = now
                say(
                    f"the embedded broker is due for renewal; waiting for the pipeline to catch up first "
                    f"({backlog:,} records behind) so that ingest is held only briefly"
                )
        return step

    def _hold_for_backlog(self, reason: str, backlog: int | None) -> None:
        """Hold ingest until the pipeline has caught up (back-pressure), saying so on the terminal when it
        begins and then at most every BROKER_WARNING_REPEAT_S."""
        behind = f"{backlog:,} records" if backlog is not None else "records"
        self.hold.hold(
            f"the pipeline is {behind} behind and the embedded broker must be renewed before its partitions "
            f"grow further ({reason}); ingest resumes once the pipeline has caught up",
            summary=f"the pipeline is catching up ({behind} behind); sources wait, nothing is lost",
        )
        now = time.monotonic()
        if self._backlog_held_since is None or now - self._broker_warned.get("backlog hold", -1e18) >= (
            BROKER_WARNING_REPEAT_S
        ):
            self._broker_warned["backlog hold"] = now
            say(
                f"ingest held: the pipeline is {behind} behind and {reason}, twice the renewal limit; "
                "the api answers 503 with Retry-After and sources wait until it has caught up and the "
                "broker is renewed"
            )
        if self._backlog_held_since is None:
            self._backlog_held_since = now

    def _release_backlog_hold(self, why: str) -> None:
        self.hold.release()
        self._backlog_held_since = None
        say(f"ingest resumes: {why}")

    def _rotate_broker(self, reason: str, forced: bool = False) -> bool:
        """Replace the embedded broker by a fresh one without losing or doubling a mention
        (services/runtime/rotation.py); False when it was called off (the old broker goes on): ingest
        resumes then, unless the renewal was `forced`, when it stays held until the pipeline has caught up."""
        assert self.broker is not None
        settings = self.settings
        began = time.monotonic()
        caught_up_s = 0.0 if self._backlog_held_since is None else began - self._backlog_held_since
        say(f"renewing the embedded broker: {reason}. Ingest is held while the pipeline drains")
        self.hold.hold(
            f"the embedded broker is being renewed ({reason})",
            summary="the message broker is being renewed (seconds); sources wait, nothing is lost",
        )
        topics = [settings.topic(name) for name in DRAINED_TOPICS]
        timeout_s = settings.broker_rotate_drain_timeout_s
        consumers = expected_consumers(settings.topic_prefix)
        steps: dict[str, float] = {}

        called_off = "ingest stays held until it has caught up" if forced else "ingest resumes"

        drained = False

        def release() -> None:
            if "new broker" not in steps:
                if forced and not drained:
                    return  # called off: the caller keeps ingest held until the pipeline has caught up
                self.hold.release()
                self._backlog_held_since = None
                steps["new broker"] = time.monotonic() - began - sum(steps.values())

        try:
            if not self.hold.wait_for_publishers(timeout_s):
                say(
                    f"a publish was still under way after {timeout_s:.0f} s; renewal called off, {called_off}"
                )
                return False
            left = asyncio.run(wait_drained(settings.bootstrap, topics, timeout_s, consumers))
            steps["drain"] = time.monotonic() - began
            if left:
                say(
                    f"the pipeline stopped draining for {timeout_s:.0f} s (left: {left}); renewal called "
                    f"off, {called_off}; trying again at the next check"
                )
                return False
            drained = True
            for kind in ROLES_RESTARTED_WITH_BROKER:
                self._stop_roles(kind)  # each writes its last window states and mention ids to the database
                # The next processes import their code while the new broker starts (not sooner: the old
                # ones stop faster, and ingest is held, with the cores to themselves).
                self._start_roles_ahead(kind)
            steps["worker stop"] = time.monotonic() - began - sum(steps.values())
            # What the workers sent while stopping (alerts) reaches the notifier; the workers are gone.
            rest = {
                group: read
                for group, read in consumers.items()
                if not restarted_with_broker(group, settings.topic_prefix)
            }
            asyncio.run(wait_drained(settings.bootstrap, topics, timeout_s, rest))
            # Drained, so nothing it holds is needed: killed at once, since it answers SIGTERM only once its
            # clients (the api, the notifier, the archiver) have gone, and they stay (5 s held for nothing).
            stop_broker(self.broker, timeout_s=0)
            # Ingest resumes once the topics exist; the worker starts once the configuration is back.
            _, watchlists, rules = self._start_fresh_broker(on_topics_declared=release)
        except (RuntimeError, TimeoutError, OSError, KafkaError, SQLAlchemyError) as error:
            say(f"renewing the embedded broker failed: {error}")
            return False
        finally:
            for kind in ROLES_RESTARTED_WITH_BROKER:
                self._start_roles(kind)
            release()
            self._renewed_at = time.monotonic()
        if caught_up_s:
            steps = {"pipeline catching up": caught_up_s, **steps}
        took = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items())
        say(
            f"renewed the embedded broker; ingest was held {sum(steps.values()):.1f} s ({took}); "
            f"republished {watchlists} watchlists and {rules} rule sets; windows and history go on"
        )
        return True

    def _stop_all(self) -> None:
        """Stop the roles wave by wave (STOP_WAVES), then the broker; whatever has not stopped by
        STOP_TIMEOUT_S is killed."""
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for role in self.roles:
            role.drop_ahead()
        for wave in sorted({role.wave() for role in self.roles}):
            members = [role for role in self.roles if role.wave() == wave and role.process is not None]
            _terminate(members, deadline)
        if self.broker is not None:
            stop_broker(self.broker)
        say("stopped")
