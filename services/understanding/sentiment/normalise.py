"""Normalisation of social texts for the sentiment model, with a VADER-style lexicon reading.

`analyse_batch` gives each text as space-separated folded tokens: links, @handles and punctuation other than
"!"/"?" removed; hashtags as words ("#EpicFail" -> "epic fail"); elongations cut to two letters (to one when
that is the lexicon's word: "sooo" -> "so"); French and Italian elisions split ("c'est" -> "c est"); lexicon
words in the scope of a negation upper-cased, so that "not BAD" gives other features than "bad" (the other
words of the scope stay as they are: "n'est pas mauvais" -> "est MAUVAIS", so that the many negative
"n'est pas ..." tweets do not make every negation read negative); multi-word expressions of the lexicon
("still on hold") as one token. It
also gives the positive and negative lexicon sums of each text, where boosters, ALL-CAPS emphasis,
elongation, negation and contrast ("but") modulate a word's valence as in VADER, and where a sarcasm marker
("#sarcasm", 🙃) turns the positive sum negative.

For speed, regular expressions run once over the whole batch, tokens are looked up through a cached
dictionary, and negation scopes, boosters and sums are computed with numpy over all tokens at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import compress
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from services.understanding.sentiment.lexicon import (
    CONTRAST,
    DROP,
    EMOJI_NOISE,
    END,
    END_OF_TEXT,
    NEGATION,
    SYMBOL,
    UNKNOWN_SYMBOL,
    UNKNOWN_WORD,
    WORD,
    Tables,
)

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_APOSTROPHES = re.compile("[’‘`´ʼ′]")
_STRIP = re.compile(r"(?:http|@|www\.)\S*")  # links (and the "http" placeholder of the data) and @handles
_CAMEL_HASHTAG = re.compile(r"#(?<![\w&]#)(\w*[a-z][A-Z]\w*)")  # "#EpicFail"; others just lose the "#"
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ELISION = re.compile(  # the apostrophe after an elided article or pronoun: "c'est", "l'amore", "qu'il"
    "'(?:"
    + "|".join(
        f"(?<=\\b{prefix}')"
        for prefix in (
            "[CcDdJjLlMmNnSsTt]",
            "[Qq]u",
            "[Jj]usqu",
            "[Ll]orsqu",
            "[Pp]uisqu",
            "[Qq]uoiqu",
            "[Pp]resqu",
            "[DdNnSs]ell",
            "[DdAa]ll",
            "[Cc]oll",
            "[Uu]n",
            "[Qq]uest",
            "[Qq]uell",
        )
    )
    + ")(?=\\w)"
)
_TRIPLE = re.compile(r"([^\W\d_]|[^\w\s!?.,'])\1{2,}")  # letters ("sooo"), emoji; not digits ("1000")
_UMLAUT = re.compile("[äöüÄÖÜ]")
_TOKEN = re.compile(
    r"[^\W_]+(?:'[^\W_]+)*"  # words, with inner apostrophes ("don't")
    r"|</?3|(?<!\d)>?[:;=][-'o^]?[)(\]\[dDpPoO/\\|*3@}{]|\^_?\^|-_-|\(:"  # emoticons
    r"|[!?]+|[^\w\s]|\n"  # "!"/"?" runs, any other symbol on its own (emoji), the end of a text
)
_MARKS = re.compile(r"[\u0300-\u036f]")
_LAUGH = re.compile(  # "hahaha", "jaja", "ahah", "rsrs", "kkk", "jsjs"
    r"a?([hj])([aeiou])(?:\1\2)+\1?|(?:rs){2,}r?|k{2,}|(?:js){2,}j?"
)
LAUGH = "haha"
_GERMAN_ROW = 4  # row of "de" in `Tables` (row 0 is "no language")

NEGATION_WORDS = 3  # words read as negated after a negation cue
N_SCALAR = -0.74  # VADER: valence factor of a negated word
B_INCR = 0.293  # VADER: booster increment, also used for an elongated word
C_INCR = 0.733  # VADER: ALL-CAPS emphasis increment
BUT_BEFORE, BUT_AFTER = 0.5, 1.5  # VADER: weights of the valences before and after a contrast word


def fold(text: str, german: bool = False) -> str:
    """Lower-case, accent-free text. With `german`, umlauts become ae/oe/ue ('schön' -> 'schoen')."""
    if german:
        text = _UMLAUT.sub(_umlaut, text)
    text = text.casefold()
    if not text.isascii():
        text = _MARKS.sub("", unicodedata.normalize("NFKD", text).casefold()).replace(" ", "")
    return text


def _umlaut(match: re.Match[str]) -> str:
    return match.group(0).translate({0xE4: "ae", 0xF6: "oe", 0xFC: "ue", 0xC4: "Ae", 0xD6: "Oe", 0xDC: "Ue"})


def _hashtag_words(match: re.Match[str]) -> str:
    return f" {_CAMEL.sub(' ', match.group(1))} "


def _clean(texts: Sequence[str]) -> str:
    """The texts joined by newlines, without links and handles, hashtags as words, elisions split."""
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:
        joined = "\n".join(text.replace("\n", " ") for text in texts)
    joined = _STRIP.sub(" ", joined)
    if "#" in joined:
        joined = _CAMEL_HASHTAG.sub(_hashtag_words, joined).replace("#", " ")
    joined = EMOJI_NOISE.sub("", _APOSTROPHES.sub("'", joined))
    if "'" in joined:
        joined = _ELISION.sub(" ", joined)
    return joined


def _elongations(joined: str) -> tuple[str, dict[int, dict[str, str]]]:
    """`joined` with runs of 3+ equal letters (or emoji) cut to 2, and for each text (texts are separated by
    newlines) its elongated words, folded: as cut to two letters -> as cut to one ("goood" -> "good" -> "god",
    "horribleee" -> "horriblee" -> "horrible")."""
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    letter = ((codes >= 65) & (codes <= 90)) | ((codes >= 97) & (codes <= 122)) | (codes >= 128)
    runs = np.flatnonzero((codes[2:] == codes[1:-1]) & (codes[1:-1] == codes[:-2]) & letter[2:])
    if not len(runs):
        return joined, {}
    ends = np.flatnonzero(codes == 10)
    texts = np.searchsorted(ends, runs)
    starts = np.concatenate(([0], ends + 1))
    words: dict[int, set[str]] = {}
    for i, position in zip(texts.tolist(), runs.tolist(), strict=True):
        words.setdefault(i, set()).add(_word_at(joined, position, starts[i]))
    found = {
        i: {fold(_TRIPLE.sub(r"\1\1", w)): fold(_TRIPLE.sub(r"\1", w)) for w in elongated if w}
        for i, elongated in words.items()
    }
    keep = np.ones(len(codes), dtype=bool)
    keep[runs + 2] = False
    return codes[keep].tobytes().decode("utf-32-le"), found


def _word_at(text: str, offset: int, floor: int) -> str:
    start = end = offset
    while start > floor and (text[start - 1].isalnum() or text[start - 1] == "'"):
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end]


class Normalised(NamedTuple):
    """A batch after `analyse_batch`: text i is `joined.split("\\n")[i]` (" tok tok ..."), each followed by
    a newline; `sums[i]` holds its positive and negative lexicon sums (the negative one made positive)."""

    joined: str
    sums: F64


class TokenColumns(dict[str, int]):
    """Folded token -> column of `Tables`, remembering unknown tokens (laughter reads as "haha")."""

    MAX_SIZE = 1_000_000

    def __init__(self, tables: Tables) -> None:
        laugh = tables.columns.get(LAUGH, UNKNOWN_WORD)
        self._known = {
            token: laugh if _LAUGH.fullmatch(token) else column for token, column in tables.columns.items()
        }
        self._known["\n"] = END_OF_TEXT
        super().__init__(self._known)

    def __missing__(self, token: str) -> int:
        if len(self) > self.MAX_SIZE:  # unbounded vocabulary of a long-running process: start again
            self.clear()
            self.update(self._known)
        if token[:1].isalnum():
            column = self._known.get(LAUGH, UNKNOWN_WORD) if _LAUGH.fullmatch(token) else UNKNOWN_WORD
        else:
            column = UNKNOWN_SYMBOL
        self[token] = column
        return column


def analyse_batch(texts: Sequence[str], lang_rows: I64, tables: Tables, columns: TokenColumns) -> Normalised:
    """Normalise `texts`; `lang_rows[i]` is the row of `tables` for the language of text i."""
    if not texts:
        return Normalised("", np.zeros((0, 2)))
    joined, elongated = _elongations(_clean(texts))
    parts = joined.split("\n")
    for i in np.flatnonzero(lang_rows == _GERMAN_ROW).tolist():
        if _UMLAUT.search(parts[i]):
            parts[i] = _UMLAUT.sub(_umlaut, parts[i])
    raw: list[str] = _TOKEN.findall("\n".join(parts) + "\n")
    folded = fold("\t".join(raw)).split("\t")
    cols = np.fromiter(map(columns.__getitem__, folded), dtype=np.int64, count=len(folded))
    join_phrases(cols, folded, tables)
    ends = np.flatnonzero(cols == END_OF_TEXT)
    text = np.zeros(len(cols), dtype=np.int64)
    text[ends[:-1] + 1] = 1
    text = np.cumsum(text)
    stretched = np.zeros(len(cols))
    for i, words in elongated.items():  # rare: "sooo" reads as "so", "baaad" as "bad", with emphasis
        first = ends[i - 1] + 1 if i else 0
        for k in range(first, ends[i]):
            if folded[k] in words:
                stretched[k] = B_INCR
                row, column = lang_rows[i], cols[k]
                if tables.valence[row, column] == 0:  # "soo" (a booster itself) reads as "so"
                    single = columns[words[folded[k]]]
                    if tables.valence[row, single] or tables.increment[row, single]:
                        cols[k], folded[k] = single, words[folded[k]]
    rows = lang_rows[text]
    kind = tables.kind[rows, cols]
    in_scope = _negation_scope(kind)
    values = _valences(kind, rows, cols, in_scope, stretched, tables)
    hits = np.flatnonzero((values != 0) & (kind == WORD))
    if len(hits):
        shouting = [part.isupper() for part in parts]  # all caps: no word stands out by its capitals
        caps = [
            len(raw[k]) > 1 and raw[k].isupper() and not shouting[t]
            for k, t in zip(hits.tolist(), text[hits].tolist(), strict=True)
        ]
        values[hits[caps]] += np.sign(values[hits[caps]]) * C_INCR
    negated = hits[in_scope[hits]]
    override = tables.negated[rows[negated], cols[negated]]
    values[negated] = np.where(np.isnan(override), values[negated] * N_SCALAR, override)
    values *= _contrast_weights(kind, text, ends)
    sums: F64 = np.stack(
        [
            np.bincount(text, weights=np.maximum(values, 0.0), minlength=len(texts)),
            np.bincount(text, weights=np.maximum(-values, 0.0), minlength=len(texts)),
        ],
        axis=1,
    )
    ironic = np.flatnonzero(np.bincount(text[tables.sarcasm[cols]], minlength=len(texts)))
    if len(ironic):  # a sarcasm marker: what reads as praise is a complaint
        sums[ironic, 1] += sums[ironic, 0]
        sums[ironic, 0] = 0.0
    laugh = columns.get(LAUGH)
    if laugh is not None:
        for k in np.flatnonzero(cols == laugh).tolist():
            folded[k] = LAUGH
    for k in np.flatnonzero(in_scope & (tables.valence[rows, cols] != 0)).tolist():
        folded[k] = folded[k].upper()
    kept = compress(folded, ((kind != DROP) & (kind != NEGATION)).tolist())  # a cue shows in its scope
    return Normalised(" " + " ".join(kept).replace(" \n", "\n"), sums)


def hashtag_valences(texts: Sequence[str], lang_rows: I64, tables: Tables, columns: TokenColumns) -> F64:
    """Net lexicon valence of each text's camel-case hashtags that are sentiment phrases: every word of the
    hashtag a lexicon word, booster or negation ("#EinfachToll" -> "einfach toll": +2.5; not the show title
    "#VideoShowAoVivo" nor "#FelizViernes"). A negation turns the words after it ("#NotHappy"), a booster
    raises the word after it. 0 for texts without such a hashtag (most texts)."""
    result = np.zeros(len(texts))
    for i, text in enumerate(texts):
        if "#" not in text:
            continue
        row = int(lang_rows[i])
        for hashtag in _CAMEL_HASHTAG.findall(text):
            valence, negated, boost = 0.0, False, 0.0
            words = _CAMEL.sub(" ", hashtag).replace("_", " ").split()
            for k, word in enumerate(words):
                column = columns[fold(word, german=row == _GERMAN_ROW)]
                kind, value = tables.kind[row, column], float(tables.valence[row, column])
                increment = float(tables.increment[row, column]) if kind == WORD else 0.0
                if kind == NEGATION:
                    negated = True
                elif kind == WORD and value:
                    value += np.sign(value) * boost
                    valence += value * N_SCALAR if negated else value
                elif not increment and not (k == 0 and len(words) == 2):  # a word that says nothing of
                    break  # sentiment, other than the modifier of a two-word hashtag ("#EinfachToll")
                boost = increment
            else:
                result[i] += valence
    return result


def join_phrases(cols: I64, folded: list[str], tables: Tables) -> None:
    """Read each multi-word expression of the lexicon ("still on hold") as its one token ("stillonhold"), in
    place: its first token becomes the expression, the others punctuation (dropped). Two-word prefixes are
    found with one sorted-array search over the batch; only those are checked word by word."""
    pairs = tables.phrase_pairs
    if len(cols) < 2 or not len(pairs):
        return
    keys = cols[:-1] * tables.kind.shape[1] + cols[1:]
    found = np.minimum(np.searchsorted(pairs, keys), len(pairs) - 1)
    dropped = tables.columns["."]
    for k in np.flatnonzero(pairs[found] == keys).tolist():
        if cols[k] == dropped:  # inside an expression already joined
            continue
        for others, token in tables.phrase_rest[int(keys[k])]:
            end = k + 2 + len(others)
            if tuple(folded[k + 2 : end]) == others:
                cols[k], folded[k] = tables.columns[token], token
                cols[k + 1 : end] = dropped
                break


def _negation_scope(kind: npt.NDArray[np.int8]) -> npt.NDArray[np.bool_]:
    """Words among the NEGATION_WORDS words after a negation cue, with no punctuation, emoji or contrast
    between."""
    position = np.arange(len(kind))
    is_word = kind == WORD
    last_cue = np.maximum.accumulate(np.where(kind == NEGATION, position, -1))
    breaks = (kind == DROP) | (kind == SYMBOL) | (kind == CONTRAST) | (kind == END)
    last_break = np.maximum.accumulate(np.where(breaks, position, -1))
    words = np.cumsum(is_word)
    scope: npt.NDArray[np.bool_] = (
        is_word & (last_cue > last_break) & (words - words[np.maximum(last_cue, 0)] <= NEGATION_WORDS)
    )
    return scope


def _valences(
    kind: npt.NDArray[np.int8],
    rows: I64,
    cols: I64,
    in_scope: npt.NDArray[np.bool_],
    stretched: F64,
    tables: Tables,
) -> F64:
    """Lexicon valence of each token, raised by the boosters just before it (more if elongated) and by its
    own elongation."""
    values = tables.valence[rows, cols].copy()
    values[(kind != WORD) & (kind != SYMBOL)] = 0.0
    increment = np.where(kind == WORD, tables.increment[rows, cols], 0.0)
    increment += np.sign(increment) * stretched  # an elongated booster ("sooo") boosts more
    position = np.arange(len(kind))
    total = np.cumsum(increment)
    run_start = np.maximum.accumulate(np.where(increment == 0, position, -1))  # last token that is no booster
    boost = np.zeros(len(kind))
    boost[1:] = total[:-1] - np.where(run_start[:-1] >= 0, total[np.maximum(run_start[:-1], 0)], 0.0)
    words = (kind == WORD) & (values != 0)
    values[words] += np.sign(values[words]) * (boost[words] + stretched[words])
    return values


def _contrast_weights(kind: npt.NDArray[np.int8], text: I64, ends: I64) -> F64:
    """VADER's "but" rule: x0.5 for each contrast word later in the text, x1.5 after the first one."""
    seen = np.cumsum(kind == CONTRAST)
    before_text = np.concatenate(([0], seen[ends[:-1]]))[text]
    after = seen[ends][text] - seen
    weights: F64 = np.power(BUT_BEFORE, after)
    weights[seen - before_text > 0] *= BUT_AFTER
    return weights
