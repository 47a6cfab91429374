"""Features of the linear sentiment model, for a batch of texts.

Sparse part: hashed character n-grams and word n-grams of the normalised text (see `normalise`), each family
scaled by 1/sqrt(its number of features in the text); word n-grams also in a copy specific to the language.
Dense part: the lexicon's positive, negative and net sums squashed to [-1, 1] as in VADER, and whether the
text is a plain question (a "?" and no lexicon word: a request for information), once shared by all languages
and once in the text's language's columns, so that the model can learn how far to trust each language's
lexicon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from services.understanding.sentiment.hashing import Hashed, char_ngram_blocks, encode, word_ngram_blocks
from services.understanding.sentiment.lexicon import LANGS, Lexicon
from services.understanding.sentiment.normalise import TokenColumns, analyse_batch, hashtag_valences

F64 = npt.NDArray[np.float64]
DENSE_PER_GROUP = 4  # positive, negative, net, plain question
N_DENSE = DENSE_PER_GROUP * (1 + len(LANGS))
_LANG_ID = {lang: i for i, lang in enumerate(LANGS, start=1)}  # 0: unknown
_LANG_STRIDE = 0x9E3779B1  # odd: shifts a bucket to another, distinct per language
_SPACE, _EXCLAMATION, _QUESTION = ord(" "), ord("!"), ord("?")
#: A text with a "?" whose lexicon sums stay under this is a plain question (a request for information):
#: "offline" (-0.5) may be in it, "delayed" (-0.9) may not.
PLAIN_QUESTION_MAX_VALENCE = 0.6


@dataclass(frozen=True)
class FeatureConfig:
    bits: int = 20  # 2**bits hash buckets
    char_min: int = 2  # character n-gram orders char_min..char_max
    char_max: int = 5
    word_max: int = 2  # word n-gram orders 1..word_max (0: none)
    word_weight: float = 1.0  # scale of the word family relative to the character family
    squash: float = 4.0  # lexicon sum s -> s / sqrt(s*s + squash)
    lexicon_weight: float = 1.0  # scale of the dense lexicon features
    word_copies: bool = True  # also a copy of each word n-gram specific to the text's language
    char_copies: bool = False  # also a copy of each character n-gram specific to the text's language

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def n_features(self) -> int:
        return (1 << self.bits) + N_DENSE


class Block(NamedTuple):
    """Sparse features of one family and order: feature k adds `scale[docs[k]]` to column `buckets[k]`."""

    hashed: Hashed
    scale: F64  # per text


class Features(NamedTuple):
    blocks: list[Block]
    dense: F64  # (texts, N_DENSE), columns 2**bits onwards
    empty: npt.NDArray[np.bool_]  # texts with no word, emoji or emoticon (only links, handles, punctuation)
    plain_question: npt.NDArray[np.bool_]  # a "?" and no clear lexicon valence: a request for information
    hashtag: F64  # net lexicon valence of the words of camel-case hashtags (`normalise.hashtag_valences`)


class Featurizer:
    def __init__(self, config: FeatureConfig, lexicon: Lexicon) -> None:
        self.config = config
        self._tables = lexicon.tables()
        self._columns = TokenColumns(self._tables)

    def transform(self, texts: Sequence[str], langs: Sequence[str | None]) -> Features:
        """`langs[i]` selects the lexicon and function words of text i (None or another code: shared only)."""
        rows = np.fromiter((_LANG_ID.get(code or "", 0) for code in langs), dtype=np.int64, count=len(langs))
        normalised = analyse_batch(texts, rows, self._tables, self._columns)
        codes, doc_of = encode(normalised.joined)
        content = (codes != _SPACE) & (codes != _EXCLAMATION) & (codes != _QUESTION)
        empty = np.bincount(doc_of[content], minlength=len(texts)) == 0
        asks = np.bincount(doc_of[codes == _QUESTION], minlength=len(texts)) > 0
        plain = asks & (normalised.sums.max(axis=1, initial=0.0) < PLAIN_QUESTION_MAX_VALENCE)
        dense = self._dense(normalised.sums, plain, rows)
        hashtag = hashtag_valences(texts, rows, self._tables, self._columns)
        return Features(self._sparse(codes, doc_of, rows), dense, empty, plain, hashtag)

    def _sparse(
        self, codes: npt.NDArray[np.uint64], doc_of: npt.NDArray[np.int64], rows: npt.NDArray[np.int64]
    ) -> list[Block]:
        config, n = self.config, len(rows)
        chars = char_ngram_blocks(codes, doc_of, range(config.char_min, config.char_max + 1), config.bits)
        words = word_ngram_blocks(codes, doc_of, range(1, config.word_max + 1), config.bits)
        blocks: list[Block] = []
        for family, weight, copies in (
            (chars, 1.0, config.char_copies),
            (words, config.word_weight, config.word_copies),
        ):
            counts = sum((np.bincount(b.docs, minlength=n) for b in family), np.zeros(n, dtype=np.int64))
            scale = weight / np.sqrt(np.maximum(counts, 1))
            blocks.extend(Block(b, scale) for b in family)
            if copies:
                blocks.extend(Block(_copy(b, rows, config.bits), scale) for b in family)
        return blocks

    def _dense(self, sums: F64, plain: npt.NDArray[np.bool_], lang_ids: npt.NDArray[np.int64]) -> F64:
        pos, neg = sums[:, 0], sums[:, 1]
        alpha = self.config.squash
        plain_question = plain.astype(np.float64)
        group = self.config.lexicon_weight * np.stack(
            [*(s / np.sqrt(s * s + alpha) for s in (pos, neg, pos - neg)), plain_question], axis=1
        )
        dense = np.zeros((len(lang_ids), N_DENSE))
        dense[:, :DENSE_PER_GROUP] = group
        for column in range(1, len(LANGS) + 1):
            rows = lang_ids == column
            dense[rows, column * DENSE_PER_GROUP : (column + 1) * DENSE_PER_GROUP] = group[rows]
        return dense


def _copy(block: Hashed, rows: npt.NDArray[np.int64], bits: int) -> Hashed:
    """The same features in buckets of their own for each language (texts of no known language dropped)."""
    langs = rows[block.docs]
    if langs.all():
        return Hashed(block.docs, (block.buckets + langs * _LANG_STRIDE) & ((1 << bits) - 1))
    known = langs > 0
    return Hashed(block.docs[known], (block.buckets[known] + langs[known] * _LANG_STRIDE) & ((1 << bits) - 1))
