"""Faust's aiokafka transport with a configurable consumer fetch wait.

Faust's driver hard-codes `fetch_max_wait_ms=1500`; on a quiet topic every hop then waits up to 1.5 s.
This transport takes the wait from the app's `fetch_max_wait_ms` attribute (set from
`Settings.consumer_fetch_max_wait_ms`) and registers itself under the URL scheme `vigiekafka://`.
"""

from __future__ import annotations

from typing import Any

import aiokafka
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka

SCHEME = "vigiekafka"
DEFAULT_FETCH_MAX_WAIT_MS = 20


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka builds its fetcher in start() from this attribute, so setting it before start() suffices.
        consumer._fetch_max_wait_ms = getattr(self.app, "fetch_max_wait_ms", DEFAULT_FETCH_MAX_WAIT_MS)
        return consumer


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
