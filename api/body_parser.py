"""Parsing ingest bodies without blocking the event loop.

Decoding JSON holds the interpreter lock for the whole call (8 MB of `[{},{},...]`: 2.7 million objects,
about a second and a half), so a thread would not keep the api answering: bodies larger than
`INLINE_MAX_BYTES` are parsed by `services.ingest.body.parse_body` in a process of their own, one at a time,
while every other route goes on. The mentions come back as MessagePack in chunks of `CHUNK_MENTIONS`, read
one chunk at a time between turns of the event loop (unpickling 10,000 mentions at once held it 0.76 s).
Small bodies, the usual case, are parsed in place (no copy, no hop).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

import msgspec

from services.ingest.body import ParsedBody, Refusal, parse_body
from services.ingest.records import Mention
from services.runtime.lifeline import watch_parent

log = logging.getLogger(__name__)

#: Bodies up to this size are parsed on the event loop (at most a few milliseconds of work).
INLINE_MAX_BYTES = 256 * 1024
#: Mentions decoded in one turn of the event loop (~25 ms of work).
CHUNK_MENTIONS = 1000

_decode_mentions = msgspec.msgpack.Decoder(list[Mention]).decode
_decode_refusals = msgspec.msgpack.Decoder(list[Refusal]).decode


def parse_in_chunks(body: bytes, default_source: str | None, max_items: int) -> tuple[list[bytes], bytes]:
    """In the parsing process: `parse_body`, its mentions as MessagePack chunks and its refusals."""
    parsed = parse_body(body, default_source=default_source, max_items=max_items)
    mentions = parsed.mentions
    encode = msgspec.msgpack.encode
    chunks = [encode(mentions[i : i + CHUNK_MENTIONS]) for i in range(0, len(mentions), CHUNK_MENTIONS)]
    return chunks, encode(parsed.refused)


def _stop_with_the_api() -> None:
    """In the parsing process: stop when the api that started it is gone, even killed (it never is told)."""
    watch_parent(os.getppid())


class BodyParser:
    def __init__(self, max_items: int, inline_max_bytes: int = INLINE_MAX_BYTES) -> None:
        self.max_items = max_items
        self.inline_max_bytes = inline_max_bytes
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork of the api's process would copy its threads' locks and its event loop.
            self._pool = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_stop_with_the_api
            )
        return self._pool

    async def start(self) -> None:
        """Start the parsing process now rather than on the first large body (it imports for ~1 s)."""
        await asyncio.get_running_loop().run_in_executor(self._executor(), len, b"")

    async def parse(self, body: bytes, default_source: str | None = None) -> ParsedBody:
        """`parse_body` of the body, raising what it raises (`MentionError`, `TooManyItems`)."""
        if len(body) <= self.inline_max_bytes:
            return parse_body(body, default_source=default_source, max_items=self.max_items)
        work = partial(parse_in_chunks, body, default_source, self.max_items)
        try:
            chunks, refused = await asyncio.get_running_loop().run_in_executor(self._executor(), work)
        except BrokenProcessPool:
            log.error("the body parsing process died (out of memory?); starting another one")
            self.close()
            raise
        mentions: list[Mention] = []
        for chunk in chunks:
            mentions.extend(_decode_mentions(chunk))
            await asyncio.sleep(0)
        return ParsedBody(mentions=mentions, refused=_decode_refusals(refused))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
