"""End offsets read exactly, even where the embedded broker reports the last batch's base offset + 1."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.runtime.kafka import exact_end_offsets
from tests.stack import Stack


async def test_the_end_of_a_partition_is_one_past_its_last_record(stack: Stack) -> None:
    topic = f"test.ends.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, linger_ms=50)
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap)
    await producer.start()
    await consumer.start()
    try:
        last = -1
        for size in (1, 5):  # the second send is one batch of five records (linger)
            sent = [await producer.send(topic, b"x", partition=0) for _ in range(size)]
            await producer.flush()
            last = max([(await future).offset for future in sent])
        tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        reported = await consumer.end_offsets(tps)
        exact = await exact_end_offsets(stack.bootstrap, reported)
        assert exact[tps[0]] == last + 1 == 6, (reported, exact)
        assert exact[tps[1]] == 0  # an empty partition stays empty
    finally:
        await producer.stop()
        await consumer.stop()
