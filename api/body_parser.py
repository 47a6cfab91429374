"""Parsing ingest bodies without blocking the event loop.

Decoding JSON holds the interpreter lock for the whole call (8 MB of `[{},{},...]`: 2.7 million objects,
about a second and a half), so a thread would not keep the api answering: bodies larger than
`INLINE_MAX_BYTES` are parsed by `services.ingest.parse_body` in a process of their own, one at a time,
while every other route goes on. Small bodies, the usual case, are parsed in place (no copy, no hop).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from services.ingest import ParsedBody, parse_body

log = logging.getLogger(__name__)

#: Bodies up to this size are parsed on the event loop (at most a few milliseconds of work).
INLINE_MAX_BYTES = 256 * 1024


class BodyParser:
    def __init__(self, max_items: int, inline_max_bytes: int = INLINE_MAX_BYTES) -> None:
        self.max_items = max_items
        self.inline_max_bytes = inline_max_bytes
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork of the api's process would copy its threads' locks and its event loop.
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def start(self) -> None:
        """Start the parsing process now rather than on the first large body (it imports for ~1 s)."""
        await asyncio.get_running_loop().run_in_executor(self._executor(), len, b"")

    async def parse(self, body: bytes, default_source: str | None = None) -> ParsedBody:
        """`parse_body` of the body, raising what it raises (`MentionError`, `TooManyItems`)."""
        work = partial(parse_body, body, default_source=default_source, max_items=self.max_items)
        if len(body) <= self.inline_max_bytes:
            return work()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor(), work)
        except BrokenProcessPool:
            log.error("the body parsing process died (out of memory?); starting another one")
            self.close()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
