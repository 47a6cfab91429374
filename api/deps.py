"""What routes depend on: the process's runtime objects, reached through the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aiokafka import AIOKafkaProducer
from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from api.body_parser import BodyParser
from api.hub import Hub
from services.ingest.coalescer import Coalescer
from services.runtime.kafka import MentionPublisher
from services.settings import Settings
from services.storage import Store


@dataclass
class Runtime:
    settings: Settings
    store: Store
    producer: AIOKafkaProducer
    publisher: MentionPublisher
    hub: Hub
    parser: BodyParser
    #: What ingest routes publish through: concurrent requests share publishes.
    ingest: Coalescer


def get_runtime(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


def get_request_runtime(request: Request) -> Runtime:
    return get_runtime(request)


RuntimeDep = Annotated[Runtime, Depends(get_request_runtime)]
