"""Faust's aiokafka transport, fenced here: every workaround of Faust's and aiokafka's internals.

Registered under the URL scheme `vigiekafka://` (streams/app.py builds the broker URL with it). Each piece
answers something measured on this stack, in its own module:

- thread.py, the consumer thread: Faust's driver hard-codes `fetch_max_wait_ms=1500`, so on a quiet topic
  every hop waited up to 1.5 s; the wait comes from the app's `fetch_max_wait_ms` (from
  `Settings.consumer_fetch_max_wait_ms`). After a rebalance every partition is sought to its committed
  offset, or its start when it has none. End offsets (highwaters) are read exactly: table recovery stops at
  them, and the embedded broker reports the last batch's base offset + 1, which missed the last changelog
  records of a window.
- consumer.py, offsets.py: Faust must not commit records it never processed. Measured on a worker that
  joins or takes over partitions: Faust's fetcher hands over records before its post-rebalance seek to the
  committed offsets; the streams drop them, records of the same fetch still arrive after the seek, and
  Faust's gap bookkeeping (meant for compacted topics) marks the offsets in between as processed, so the
  next commit passes over them and those raw records are never enriched. So every streamed partition is
  delivered strictly in offset order from where the consumer was positioned (offsets.py): a hole makes the
  consumer seek back and read again, and a commit never starts past an unprocessed offset. Records can also
  vanish after they were handed over (records queued for the enrich agent while it started, or around a
  rebalance, never reached it): the consumer follows each record until a stream takes it in, and one not
  taken while a later one of its partition was, or while nothing is left queued, is read again from its
  offset. Every seek back also lowers Faust's own read mark, below which its drain loop silently drops
  records. Faust's post-rebalance seek resets every read mark only once all partitions are sought, while
  the partitions sought first already deliver: the reset pulled a mark below records delivered, the next
  one looked like one after a hole, and Faust filled the "hole" in as processed, so a commit passed over
  records no agent had finished (a worker killed then lost them). The seek keeps the mark of a partition
  that delivered since it was sought.
- producer.py: a commit never runs ahead of the sends of the records it covers. Faust flushes its producer
  before committing, but its buffer flush gives up after 0.1 s without progress and does not see the
  message its sender task has taken off the queue and not yet handed to aiokafka; table changelog writes go
  through that buffer. A worker killed right after such a commit lost the aggregate state of records it had
  committed. The producer remembers every message until the broker acknowledged it, and a flush (so every
  commit) waits for all those sent before it started.
- tables.py: Faust's table manager sleeps 1 s on every start before it registers the changelogs (for tables
  defined late); all of Vigie's are defined before the app starts, so the worker starts without it.

tests/streams/test_library_internals.py checks that each private name used here still behaves as assumed,
and constraints.txt pins the versions it was checked on.
"""

from __future__ import annotations

from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka

from streams.transport.consumer import Consumer
from streams.transport.producer import Producer
from streams.transport.thread import DEFAULT_FETCH_MAX_WAIT_MS, ConsumerThread

SCHEME = "vigiekafka"

__all__ = ["DEFAULT_FETCH_MAX_WAIT_MS", "SCHEME", "Consumer", "ConsumerThread", "Producer", "Transport"]


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
    Producer = Producer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
