"""The private parts of Faust, mode, aiokafka and httpx that Vigie relies on, checked on the installed ones.

streams/transport/ (and two helpers elsewhere) override or read names these libraries never promised to
keep. An upgrade that renames one, changes its shape or what it means would not fail loudly: the worker
would still run and quietly lose or redo records. Each check here names the attribute, where Vigie uses it,
and what to re-check, and where it can it checks the meaning on real objects (the real app of `vigie
worker`, a real consumer, a real HTTP client), not only that a name exists. After any upgrade of these
libraries (see constraints.txt), run this file, then the kill and scale-out tests (tests/integration/
test_scale_out_worker_kill.py, test_scale_out.py, test_redelivery.py), which show the meaning end to end.
"""

from __future__ import annotations

import inspect
import socket
import subprocess
import uuid
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any
from weakref import WeakSet

import aiokafka
import faust
import httpcore
import httpx
import mode
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from faust.exceptions import ConsumerNotStarted
from faust.transport import consumer as faust_consumer
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from services.delivery.guard import GuardedNetworkBackend, TargetPolicy, TargetRefused, guarded_http_client
from services.runtime.broker import start_broker, stop_broker
from services.runtime.kafka import wait_for_broker
from services.settings import Settings
from streams import transport
from streams.app import VigieApp, build_app
from streams.batching import acting_for
from streams.transport.consumer import _taken_in
from streams.transport.tables import PromptTableManager
from tests.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
PINNED = ("faust-streaming", "mode-streaming", "aiokafka")


def broken(name: str, used_in: str, recheck: str, found: str) -> str:
    """The failure message: what changed, where Vigie depends on it, and what to re-check."""
    return (
        f"\n  library internal changed: {name}\n  found: {found}\n  Vigie uses it in: {used_in}\n"
        f"  re-check: {recheck}\n  then run the kill test (tests/integration/test_scale_out_worker_kill.py)."
    )


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def source(function: Callable[..., Any]) -> str:
    return inspect.getsource(function)


# -- versions ------------------------------------------------------------------------------------------


def pinned_versions() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if version and not line.startswith("#"):
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


@pytest.mark.parametrize("package", PINNED)
def test_the_installed_version_is_the_one_pinned_in_constraints(package: str) -> None:
    pinned = pinned_versions().get(package)
    installed = metadata.version(package)
    assert pinned is not None, f"constraints.txt pins no version of {package}; expected a line {package}==X"
    assert installed == pinned, (
        f"{package} {installed} is installed; constraints.txt pins {pinned}. "
        "streams/transport/ reaches "
        f"into its internals: install with `make install` (pip -c constraints.txt), or to move the pin, "
        f"upgrade, run tests/streams/test_library_internals.py and the kill test, then regenerate "
        f"constraints.txt as its header says."
    )


# -- the real app of `vigie worker`, never started (no broker is contacted) ---------------------------


@pytest.fixture
def app(tmp_path: Path) -> VigieApp:
    settings = Settings.model_validate(
        {
            "kafka_bootstrap": f"127.0.0.1:{free_port()}",
            "data_dir": str(tmp_path),
            "consumer_fetch_max_wait_ms": 37,
        }
    )
    return build_app(settings)


def consumer_of(app: VigieApp) -> transport.Consumer:
    consumer = app.consumer
    assert isinstance(consumer, transport.Consumer), broken(
        "faust.transport.drivers.aiokafka.Transport.Consumer (the class the transport instantiates)",
        "streams/transport/__init__.py Transport.Consumer",
        "how Faust picks its consumer class from the transport registered under vigiekafka://",
        f"app.consumer is {type(consumer).__module__}.{type(consumer).__qualname__}",
    )
    return consumer


def test_the_vigiekafka_scheme_resolves_to_the_transport() -> None:
    resolved = faust.transport.by_url("vigiekafka://127.0.0.1:9092")
    assert resolved is transport.Transport, broken(
        "faust.transport.drivers.TRANSPORTS.aliases",
        "streams/transport/__init__.py (last line: registers vigiekafka://)",
        "how Faust registers and resolves transport URL schemes",
        f"vigiekafka:// resolves to {resolved!r}",
    )


def test_the_consumer_thread_is_created_by_new_consumer_thread(app: VigieApp) -> None:
    consumer = consumer_of(app)
    thread = getattr(consumer, "_thread", None)
    assert isinstance(thread, transport.ConsumerThread), broken(
        "faust Consumer._new_consumer_thread() / Consumer._thread",
        "streams/transport/consumer.py Consumer._new_consumer_thread and "
        "Consumer._rewind (self._thread.rewind)",
        "that ThreadDelegateConsumer.__init__ still stores self._new_consumer_thread() as self._thread",
        f"consumer._thread is {thread!r}",
    )


async def test_the_worker_consumer_takes_the_fetch_wait_from_the_app(app: VigieApp) -> None:
    name = (
        "faust AIOKafkaConsumerThread._create_worker_consumer + aiokafka AIOKafkaConsumer._fetch_max_wait_ms"
    )
    used_in = "streams/transport/thread.py ConsumerThread._create_worker_consumer"
    recheck = (
        "that Faust builds its worker consumer in _create_worker_consumer, and that aiokafka AIOKafkaConsumer"
        ".start() builds its Fetcher from self._fetch_max_wait_ms (else Faust's 1500 ms wait is back)"
    )
    create = faust_aiokafka.AIOKafkaConsumerThread._create_consumer
    assert "self._create_worker_consumer(transport)" in source(create), broken(
        name, used_in, recheck, "_create_consumer no longer calls self._create_worker_consumer(transport)"
    )
    thread = consumer_of(app)._thread
    consumer = thread._create_worker_consumer(app.transport)
    try:
        assert isinstance(consumer, aiokafka.AIOKafkaConsumer), broken(name, used_in, recheck, repr(consumer))
        assert getattr(consumer, "_fetch_max_wait_ms", None) == 37, broken(
            name, used_in, recheck, f"_fetch_max_wait_ms is {getattr(consumer, '_fetch_max_wait_ms', None)!r}"
        )
        start = source(aiokafka.AIOKafkaConsumer.start)
        assert "fetch_max_wait_ms=self._fetch_max_wait_ms" in start, broken(
            name, used_in, recheck, "AIOKafkaConsumer.start() no longer passes self._fetch_max_wait_ms on"
        )
    finally:
        await consumer.stop()


def test_ensure_consumer_refuses_before_the_thread_started(app: VigieApp) -> None:
    name = "faust AIOKafkaConsumerThread._ensure_consumer()"
    used_in = "streams/transport/thread.py ConsumerThread._seek_to_committed, _highwaters, _rewind"
    recheck = (
        "that it still returns the thread's aiokafka consumer (self._consumer) or raises ConsumerNotStarted"
    )
    thread = consumer_of(app)._thread
    assert parameters(thread._ensure_consumer) == [], broken(
        name, used_in, recheck, f"parameters {parameters(thread._ensure_consumer)}"
    )
    with pytest.raises(ConsumerNotStarted):
        thread._ensure_consumer()
    assert "self._consumer" in source(faust_aiokafka.AIOKafkaConsumerThread._ensure_consumer), broken(
        name, used_in, recheck, "it no longer returns self._consumer"
    )


def test_highwaters_is_the_thread_side_of_highwaters() -> None:
    name = "faust AIOKafkaConsumerThread._highwaters(partitions)"
    used_in = "streams/transport/thread.py ConsumerThread._highwaters (exact end offsets for table recovery)"
    recheck = "that highwaters() still runs self._highwaters(partitions) on the thread and returns {TP: end}"
    thread_class = faust_aiokafka.AIOKafkaConsumerThread
    assert inspect.iscoroutinefunction(thread_class._highwaters), broken(
        name, used_in, recheck, "not a coroutine"
    )
    assert parameters(thread_class._highwaters) == ["self", "partitions"], broken(
        name, used_in, recheck, f"parameters {parameters(thread_class._highwaters)}"
    )
    assert "self._highwaters" in source(thread_class.highwaters), broken(
        name, used_in, recheck, "highwaters() no longer calls self._highwaters"
    )


def test_seek_to_committed_is_what_the_post_rebalance_seek_calls() -> None:
    name = "faust Consumer.perform_seek -> seek_to_committed() -> _committed_offset / _read_offset"
    used_in = (
        "streams/transport/thread.py ConsumerThread.seek_to_committed / _seek_to_committed; "
        "streams/transport/consumer.py Consumer.perform_seek (Faust's body, read marks set only if nothing "
        "was delivered since the seek)"
    )
    recheck = (
        "that the post-rebalance seek still goes through seek_to_committed() and stores its answer as the "
        "committed (next-to-read) offsets in _committed_offset and _read_offset, and nothing else"
    )
    perform = source(faust_consumer.Consumer.perform_seek)
    for needed in ("self.seek_to_committed()", "self._committed_offset.update", "read_offset.update"):
        assert needed in perform, broken(name, used_in, recheck, f"perform_seek no longer does {needed}")
    delegate = source(faust_consumer.ThreadDelegateConsumer.seek_to_committed)
    assert "self._thread.seek_to_committed()" in delegate, broken(
        name, used_in, recheck, "Consumer.seek_to_committed no longer delegates to its thread"
    )


def test_read_offset_is_the_mark_below_which_the_drain_loop_drops_records(app: VigieApp) -> None:
    name = "faust Consumer._read_offset"
    used_in = (
        "streams/transport/consumer.py Consumer._rewind (lowers it so records read again are not dropped)"
    )
    recheck = (
        "that _drain_messages still drops a record whose offset is below _read_offset[tp] (None: keep all)"
    )
    consumer = consumer_of(app)
    tp = TP("vigie.test", 0)
    assert consumer._read_offset[tp] is None, broken(name, used_in, recheck, "not a defaultdict of None")
    drain = source(faust_consumer.Consumer._drain_messages)
    for needed in ("self._read_offset.__getitem__", "r_offset is None or offset >= r_offset"):
        assert needed in drain, broken(name, used_in, recheck, f"_drain_messages no longer has `{needed}`")


def test_is_changelog_tp_tells_changelog_partitions(app: VigieApp) -> None:
    name = "faust Consumer._is_changelog_tp(tp)"
    used_in = (
        "streams/transport/consumer.py Consumer._in_order_applies "
        "(changelogs are not delivered in order by us)"
    )
    recheck = "that it still answers True exactly for partitions of the app's table changelog topics"
    consumer = consumer_of(app)
    changelogs = sorted(app.tables.changelog_topics)
    assert changelogs, "the worker app declares no table; expected the aggregate's changelog"
    assert consumer._is_changelog_tp(TP(changelogs[0], 0)) is True, broken(name, used_in, recheck, "False")
    raw = app.topics  # the conductor; a stream topic is not a changelog
    assert raw is not None
    assert consumer._is_changelog_tp(TP("vigie.mentions.raw", 0)) is False, broken(
        name, used_in, recheck, "True for a stream topic"
    )


async def subscribed(app: VigieApp) -> tuple[faust.TopicT, TP]:
    """A topic of the app, subscribed, its partition 0 assigned: as the conductor has it after a rebalance."""
    topic = app.topic(f"vigie.test.{uuid.uuid4().hex[:8]}", value_serializer="raw")
    app.topics.add(topic)
    await app.topics._update_indices()  # what the conductor's subscription loop runs
    tp = TP(topic.get_topic_name(), 0)
    await app.topics.on_partitions_assigned({tp})
    return topic, tp


async def test_tp_index_maps_an_assigned_partition_to_its_channels(app: VigieApp) -> None:
    name = "faust Conductor._tp_index (app.topics._tp_index: TP -> set of channels with .queue)"
    used_in = (
        "streams/transport/consumer.py Consumer._nothing_queued (is a record still queued for a stream?)"
    )
    recheck = "that on_partitions_assigned still fills _tp_index with the channels fed by each partition"
    consumer = consumer_of(app)
    topic, tp = await subscribed(app)
    channels = app.topics._tp_index.get(tp)  # type: ignore[attr-defined]
    assert channels and topic in channels, broken(name, used_in, recheck, f"_tp_index[{tp}] is {channels!r}")
    assert consumer._nothing_queued(tp) is True, broken(
        name, used_in, recheck, "an empty queue reads as not empty"
    )
    topic.queue.put_nowait(object())  # type: ignore[arg-type]  # what is queued does not matter here
    assert consumer._nothing_queued(tp) is False, broken(name, used_in, recheck, "a queued item is not seen")


def test_new_offset_commits_up_to_the_first_hole_of_acked(app: VigieApp) -> None:
    name = "faust Consumer._new_offset(tp) with _acked, _committed_offset, _gap"
    used_in = (
        "streams/transport/consumer.py Consumer._new_offset "
        "(a commit never starts past an unprocessed offset)"
    )
    recheck = (
        "that _acked[tp] is the list of acked offsets, _committed_offset[tp] the committed next-to-read "
        "offset (None for 0), _gap[tp] an IntervalTree, and _new_offset returns one past the first run"
    )
    consumer = consumer_of(app)
    tp = TP("vigie.test", 0)
    assert isinstance(consumer._acked[tp], list), broken(
        name, used_in, recheck, f"_acked is {consumer._acked!r}"
    )
    assert consumer._committed_offset[tp] is None, broken(name, used_in, recheck, "_committed_offset default")
    assert not consumer._gap[tp], broken(name, used_in, recheck, f"_gap[tp] is {consumer._gap[tp]!r}")
    consumer._committed_offset[tp] = 5
    consumer._acked[tp].extend([5, 6, 7])
    assert consumer._new_offset(tp) == 8, broken(
        name, used_in, recheck, "acked 5..7 from 5 does not commit 8"
    )
    consumer._acked[tp].extend([9, 10])  # 8 never acked: Vigie's override refuses to commit past it
    assert consumer._new_offset(tp) is None, broken(
        name, used_in, recheck, "acked 9, 10 after 8 commit something"
    )


async def test_unacked_messages_holds_what_streams_have_not_acked(app: VigieApp) -> None:
    name = "faust Consumer._unacked_messages and Message.tracked / Message.acked"
    used_in = "streams/transport/consumer.py Consumer.ack (a skipped or revoked message) and _taken_in"
    recheck = (
        "that a stream marks a message it takes in as tracked and adds it to _unacked_messages, that ack() "
        "sets acked and removes it, and that a message no stream took in stays untracked"
    )
    consumer = consumer_of(app)
    _, tp = await subscribed(app)
    assert app.topics.acks_enabled_for(tp.topic), broken(
        name, used_in, recheck, "acks off for a stream topic"
    )
    for stream_source in (source(faust.streams.Stream._py_aiter), cython_stream_source()):
        assert "message.tracked = True" in stream_source, broken(
            name, used_in, recheck, "the stream iterator no longer sets message.tracked when it takes one in"
        )
    message = ConsumerMessage(tp.topic, 0, 3, 0.0, 0, {}, b"k", b"v", None)
    assert message.tracked is False and message.acked is False, broken(
        name, used_in, recheck, f"a fresh consumer message: tracked={message.tracked}, acked={message.acked}"
    )
    assert _taken_in(message) is False
    consumer.track_message(message)
    message.tracked = True  # as the stream iterator does
    assert message in consumer._unacked_messages, broken(
        name, used_in, recheck, "track_message did not add it"
    )
    consumer.in_order.expect(tp, 3)  # as after the post-rebalance seek to committed offset 3
    consumer._committed_offset[tp] = 3
    assert consumer.ack(message) is True, broken(name, used_in, recheck, "ack of a tracked message refused")
    assert message.acked and message not in consumer._unacked_messages and consumer._acked[tp] == [3], broken(
        name, used_in, recheck, f"after ack: acked={message.acked}, _acked[tp]={consumer._acked[tp]!r}"
    )
    revoked = ConsumerMessage(tp.topic, 0, 4, 0.0, 0, {}, b"k", b"v", None)
    consumer.track_message(revoked)
    revoked.tracked = True
    consumer.in_order.forget(tp)  # revoked while an agent held it: Vigie's ack drops it from Faust's set
    assert consumer.ack(revoked) is False and revoked not in consumer._unacked_messages, broken(
        name, used_in, recheck, "a revoked message stays in _unacked_messages (wait_empty would wait for it)"
    )


def cython_stream_source() -> str:
    """The Cython stream iterator Faust uses when its extension is built (same rule as the Python one)."""
    pyx = Path(faust.__file__).parent / "_cython" / "streams.pyx"
    return pyx.read_text() if pyx.exists() else "message.tracked = True"


def test_wait_for_ack_and_wait_empty_keep_their_shape() -> None:
    name = "faust Consumer._wait_for_ack(timeout) and Consumer.wait_empty()"
    used_in = "streams/transport/consumer.py Consumer.wait_empty (replaces Faust's, which could wait forever)"
    recheck = "that wait_empty is still what the rebalance awaits and _wait_for_ack(timeout) a coroutine"
    consumer_class = faust_consumer.Consumer
    assert inspect.iscoroutinefunction(consumer_class._wait_for_ack), broken(
        name, used_in, recheck, "not async"
    )
    assert parameters(consumer_class._wait_for_ack) == ["self", "timeout"], broken(
        name, used_in, recheck, f"parameters {parameters(consumer_class._wait_for_ack)}"
    )
    assert "commit_and_end_transactions" in source(consumer_class.wait_empty), broken(
        name, used_in, recheck, "Faust's wait_empty no longer ends with commit_and_end_transactions()"
    )


def test_agents_keep_their_actors_and_streams_their_next(app: VigieApp) -> None:
    name = "faust Agent._actors, Stream._next and Stream.current_event"
    used_in = (
        "streams/transport/consumer.py Consumer._events_in_progress (is an agent still processing an event?)"
    )
    recheck = "that Agent._actors holds the running actors, stream.noack() links the clone as stream._next"
    consumer = consumer_of(app)
    assert app.agents, "the worker app has no agent; expected enrich, aggregate, ..."
    for agent in app.agents.values():
        actors = getattr(agent, "_actors", None)
        assert isinstance(actors, WeakSet), broken(
            name, used_in, recheck, f"{agent.name}._actors is {actors!r}"
        )
    stream = app.topic("vigie.test", value_serializer="raw").stream()
    clone = stream.noack()
    assert getattr(stream, "_next", None) is clone, broken(
        name, used_in, recheck, "noack() does not set _next"
    )
    assert stream.current_event is None and clone.current_event is None, broken(
        name, used_in, recheck, "current_event of a stream never iterated is not None"
    )
    assert consumer._events_in_progress() is False


def test_batches_take_without_acking_and_act_for_an_event(app: VigieApp) -> None:
    name = (
        "faust Stream.noack_take, faust.streams._current_event, Message.generation_id, "
        "App.consumer_generation_id, App.flow_control"
    )
    used_in = "streams/batching.py Batches and acting_for (the enrich and aggregate agents take batches)"
    recheck = (
        "that noack_take(max_, within) yields lists of events and acks none; that faust.current_event() "
        "reads streams._current_event (a table write takes its changelog partition from it); that the stream "
        "loop skips events of an older consumer generation or while flow control is suspended"
    )
    take = source(faust.Stream.noack_take)
    assert parameters(faust.Stream.noack_take) == ["self", "max_", "within"], broken(
        name, used_in, recheck, f"noack_take parameters {parameters(faust.Stream.noack_take)}"
    )
    code = [line.strip() for line in take.splitlines() if not line.strip().startswith("#")]
    assert not any("ack(" in line for line in code), broken(name, used_in, recheck, "noack_take acks events")
    assert "buffer_add(cast(T_co, event))" in take, broken(
        name, used_in, recheck, "it no longer buffers events"
    )

    class Stand:
        """Anything weakly referenced stands for an event here."""

    stand = Stand()
    with acting_for(stand):  # type: ignore[arg-type]  # only its identity matters
        assert faust.current_event() is stand, broken(name, used_in, recheck, "current_event() ignores it")
    assert faust.current_event() is None, broken(name, used_in, recheck, "acting_for leaks the event")
    assert "current_event()" in source(faust.Table.partition_for_key), broken(
        name, used_in, recheck, "a table write no longer takes its partition from the current event"
    )
    loop = source(faust.Stream._py_aiter)
    for needed in (
        "message.generation_id != self.app.consumer_generation_id",
        "self.app.flow_control.is_active()",
    ):
        assert needed in loop, broken(name, used_in, recheck, f"the stream loop no longer checks `{needed}`")
    assert isinstance(app.consumer_generation_id, int), broken(
        name, used_in, recheck, f"consumer_generation_id is {app.consumer_generation_id!r}"
    )
    assert app.flow_control.is_active() in (True, False), broken(name, used_in, recheck, "no flow control")


def test_the_producer_hooks_keep_their_shape(app: VigieApp) -> None:
    name = "faust aiokafka Producer.__post_init__, send_soon(fut), send(...), flush()"
    used_in = (
        "streams/transport/producer.py Producer "
        "(a flush waits for every send before it: no commit runs ahead)"
    )
    recheck = "that every send still passes through send_soon or send, and that commits call producer.flush()"
    producer = app.producer
    assert isinstance(producer, transport.Producer), broken(name, used_in, recheck, f"{type(producer)!r}")
    assert producer._unacked == set(), broken(name, used_in, recheck, "__post_init__ was not called")
    expected = ["self", "topic", "key", "value", "partition", "timestamp", "headers", "transactional_id"]
    assert parameters(faust_aiokafka.Producer.send) == expected, broken(
        name, used_in, recheck, f"send parameters {parameters(faust_aiokafka.Producer.send)}"
    )
    assert parameters(faust_aiokafka.Producer.send_soon) == ["self", "fut"], broken(
        name, used_in, recheck, f"send_soon parameters {parameters(faust_aiokafka.Producer.send_soon)}"
    )
    assert "await self.app.producer.flush()" in source(faust_consumer.Consumer._commit_offsets), broken(
        name, used_in, recheck, "Consumer._commit_offsets no longer flushes the producer before committing"
    )


def test_call_thread_runs_a_coroutine_on_the_consumer_thread() -> None:
    name = "mode QueueServiceThread.call_thread(fun, *args)"
    used_in = "streams/transport/thread.py ConsumerThread.seek_to_committed and rewind"
    recheck = "that call_thread still awaits fun(*args) on the thread's loop and returns its result"
    assert issubclass(transport.ConsumerThread, mode.threads.QueueServiceThread), broken(
        name, used_in, recheck, f"ConsumerThread's bases: {transport.ConsumerThread.__mro__}"
    )
    call_thread = mode.threads.QueueServiceThread.call_thread
    assert inspect.iscoroutinefunction(call_thread), broken(name, used_in, recheck, "not a coroutine")
    assert parameters(call_thread)[:2] == ["self", "fun"], broken(
        name, used_in, recheck, f"parameters {parameters(call_thread)}"
    )


# -- aiokafka client and httpx pool internals used outside the transport -------------------------------


async def test_the_consumer_client_knows_its_bootstrap_and_refreshes_metadata(tmp_path: Path) -> None:
    """On the real embedded broker: a topic created after the consumer started is found by
    `force_metadata_update()`, and `_client._bootstrap_servers` is the bootstrap given."""
    name = "aiokafka AIOKafkaConsumer._client (._bootstrap_servers, .force_metadata_update())"
    used_in = (
        "streams/transport/thread.py ConsumerThread._highwaters (bootstrap for exact_end_offsets); "
        "services/runtime/topic_follower.py TopicFollower.run (waits for a topic created later)"
    )
    recheck = "that AIOKafkaClient still keeps the bootstrap string and force_metadata_update() refetches it"
    assert parameters(AIOKafkaClient.force_metadata_update) == ["self"], broken(
        name, used_in, recheck, f"parameters {parameters(AIOKafkaClient.force_metadata_update)}"
    )
    port = free_port()
    bootstrap = f"127.0.0.1:{port}"
    broker = start_broker(port, tmp_path / "broker.log")
    consumer = aiokafka.AIOKafkaConsumer(bootstrap_servers=bootstrap)
    try:
        await started(consumer, broker, bootstrap)
        kept = getattr(consumer._client, "_bootstrap_servers", "(no such attribute)")
        assert kept == bootstrap, broken(name, used_in, recheck, f"_bootstrap_servers is {kept!r}")
        topic = f"vigie.test.{uuid.uuid4().hex[:8]}"
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, 2, 1)])
        finally:
            await admin.close()
        assert await consumer._client.force_metadata_update() is True, broken(
            name, used_in, recheck, "force_metadata_update() did not report a refreshed metadata"
        )
        assert consumer.partitions_for_topic(topic) == {0, 1}, broken(
            name, used_in, recheck, f"partitions after the refresh: {consumer.partitions_for_topic(topic)}"
        )
    finally:
        await consumer.stop()
        stop_broker(broker)


async def started(
    consumer: aiokafka.AIOKafkaConsumer, broker: subprocess.Popen[bytes], bootstrap: str
) -> None:
    """Start `consumer` once the broker it was given answers (it needs a moment after its process starts,
    longer on a loaded machine)."""
    try:
        await wait_for_broker(bootstrap, timeout_s=60)
    except TimeoutError:
        assert broker.poll() is None, f"the embedded broker exited with {broker.returncode}"
        raise
    await consumer.start()


async def test_the_guarded_client_connects_only_through_the_guard() -> None:
    """The guard refuses a loopback target before any connection; a listener of the test's own would see the
    connection if httpx's pool stopped using the backend set on it."""
    name = "httpx AsyncHTTPTransport._pool._network_backend (httpcore AsyncConnectionPool)"
    used_in = (
        "services/delivery/guard.py guarded_http_client (every webhook and connector connection checked)"
    )
    recheck = "that the pool still opens every connection through its _network_backend"
    client = guarded_http_client(TargetPolicy(allow_private=False), 2.0, concurrency=1)
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool, httpcore.AsyncConnectionPool), broken(name, used_in, recheck, f"{type(pool)!r}")
    assert isinstance(pool._network_backend, GuardedNetworkBackend), broken(
        name, used_in, recheck, f"_network_backend is {pool._network_backend!r}"
    )
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        async with client:
            with pytest.raises(TargetRefused):
                await client.get(f"http://127.0.0.1:{listener.getsockname()[1]}/hook")
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing connected
    assert httpx.__version__  # httpx is pinned with the rest (constraints.txt)


def test_the_table_manager_starts_with_a_sleep_then_channels_then_recovery(app: VigieApp) -> None:
    name = "faust TableManager.on_start (sleep(1.0), _update_channels(), recovery.start())"
    used_in = "streams/transport/tables.py PromptTableManager.on_start (Faust's without the sleep)"
    recheck = "that on_start still does only those two things after its sleep"
    body = [
        line.strip()
        for line in source(faust.tables.TableManager.on_start).splitlines()
        if line.strip() and not line.strip().startswith(('"""', "#", "async def", "Call when"))
    ]
    assert body == [
        "await self.sleep(1.0)",
        "if not self.should_stop:",
        "await self._update_channels()",
        "await self.recovery.start()",
    ], broken(name, used_in, recheck, f"its body is {body}")
    assert isinstance(app.tables, PromptTableManager), broken(
        "faust Settings.TableManager (the class app.tables is made of)",
        "streams/app.py build_app",
        "how Faust picks its table manager class",
        f"app.tables is {type(app.tables).__qualname__}",
    )
