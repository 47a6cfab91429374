"""Vectorised feature hashing of a batch of normalised texts (" tok tok ...") with numpy.

Character n-grams use FNV-1a over code points; words and word bigrams use a polynomial prefix hash, so one
batch is hashed with a handful of array operations and no Python loop over features. The hashes are fixed
(no process-dependent seed), so a model trained on them can be shipped.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_POLY = 0x9E3779B97F4A7C15 | 1  # odd, hence invertible modulo 2**64
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_WORD_SALT = 0x94D049BB133111EB
_SPACE = 32
_NEWLINE = 10


class Hashed(NamedTuple):
    """Features of a batch: feature k belongs to text `docs[k]` and falls in bucket `buckets[k]`."""

    docs: I64
    buckets: I64


def encode(joined: str) -> tuple[U64, I64]:
    """Code points of texts that each end with a newline (" w1 w2\\n w3\\n"), the newlines turned into spaces,
    and for each position the index of its text."""
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    ends = codes == _NEWLINE
    codes[ends] = _SPACE
    return codes, np.cumsum(ends) - ends


def _bucket(hashes: U64, bits: int) -> I64:
    mixed = hashes * _MIX
    mixed ^= mixed >> np.uint64(31)
    return ((mixed * _MIX) >> np.uint64(64 - bits)).astype(np.int64)


def char_ngram_blocks(codes: U64, doc_of: I64, orders: range, bits: int) -> list[Hashed]:
    """Character n-grams that lie inside one text, one block per order in `orders`, each sorted by text."""
    blocks: list[Hashed] = []
    hashes = (codes ^ _FNV_OFFSET) * _FNV_PRIME
    for n in range(1, orders.stop):
        if n > 1:
            hashes = (hashes[:-1] ^ codes[n - 1 :]) * _FNV_PRIME
        if n in orders and len(hashes):
            inside = doc_of[: len(hashes)] == doc_of[n - 1 :]
            blocks.append(Hashed(doc_of[: len(hashes)][inside], _bucket(hashes[inside], bits)))
    return blocks


def char_ngrams(codes: U64, doc_of: I64, orders: range, bits: int) -> Hashed:
    """Character n-grams of each order in `orders` that lie inside one text."""
    blocks = char_ngram_blocks(codes, doc_of, orders, bits)
    return _concat([b.docs for b in blocks], [b.buckets for b in blocks])


def word_ngram_blocks(codes: U64, doc_of: I64, orders: range, bits: int) -> list[Hashed]:
    """Word n-grams of texts laid out as " w1 w2 ... " (single spaces, padded), one block per order."""
    spaces = np.flatnonzero(codes == _SPACE)
    blocks: list[Hashed] = []
    if len(spaces) < 2:
        return blocks
    powers = np.empty(len(codes) + 1, dtype=np.uint64)
    powers[0] = 1
    powers[1:] = _POLY
    powers = np.cumprod(powers, dtype=np.uint64)
    inverse = np.empty(len(codes) + 1, dtype=np.uint64)
    inverse[0] = 1
    inverse[1:] = pow(_POLY, -1, 2**64)
    inverse = np.cumprod(inverse, dtype=np.uint64)
    prefix = np.zeros(len(codes) + 1, dtype=np.uint64)
    np.cumsum(codes * powers[:-1], dtype=np.uint64, out=prefix[1:])
    filled = np.diff(spaces) > 1  # a word between consecutive spaces (not the gap between two texts)
    for n in orders:
        if len(spaces) <= n:
            continue
        start, end = spaces[:-n] + 1, spaces[n:]
        keep = filled[: len(start)].copy()
        for k in range(1, n):
            keep &= filled[k : k + len(start)]
        start, end = start[keep], end[keep]
        hashes = (prefix[end] - prefix[start]) * inverse[start] + np.uint64(_WORD_SALT * n % 2**64)
        blocks.append(Hashed(doc_of[start], _bucket(hashes, bits)))
    return blocks


def _concat(docs: list[I64], buckets: list[I64]) -> Hashed:
    if not docs:
        return Hashed(np.zeros(0, np.int64), np.zeros(0, np.int64))
    return Hashed(np.concatenate(docs), np.concatenate(buckets))
