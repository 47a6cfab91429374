"""Language identification for en, fr, es, de, it, pt: a character-trigram naive Bayes model.

The model (services/understanding/sentiment/model/langid.npz, ~70 kB) is trained by `python -m
services.understanding.language --train` on the language folders of the XLM-T training splits (see
services/understanding/sentiment/model/PROVENANCE.md). A batch is cleaned, hashed and scored with numpy array
operations, so detection costs a few microseconds per text. A text is "unknown" when it has too few letters or
when the model's margin between its two best languages is too small; a valid ISO 639-1 `hint` is trusted as
is.
"""

from __future__ import annotations

import argparse
import re
import zipfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from services.understanding.sentiment.hashing import char_ngram_blocks, char_ngrams

LANGS: tuple[str, ...] = ("en", "fr", "es", "de", "it", "pt")
UNDETERMINED = "unknown"  # not a language code, so never mistaken for a hint
MODEL_PATH = Path(__file__).resolve().parent / "sentiment" / "model" / "langid.npz"

BITS = 16  # hash buckets: 2**16
ORDERS = range(3, 4)  # character trigrams, with a space at each end of a word
SMOOTHING = 0.5  # additive smoothing of the trigram counts
MIN_LETTERS = 3  # fewer letters than this: "unknown" ("ok", "😀😀")
MIN_MARGIN = 5.0  # nats between the best and second-best language, below which the text is "unknown"

# fmt: off
ISO_639_1 = frozenset({
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh", "bi",
    "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de", "dv",
    "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd",
    "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig",
    "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko",
    "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln", "lo", "lt", "lu", "lv", "mg", "mh",
    "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd", "ne", "ng", "nl", "nn", "no", "nr",
    "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru",
    "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su",
    "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug",
    "uk", "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
})
# fmt: on

_SEP = "\x01"  # joins the texts of a batch; two per boundary, see `_encode`
_LINKS = re.compile(r"(?:http|@|www\.)[^\s\x01]*")
_SPACE = 32


class _Tables(NamedTuple):
    lower: npt.NDArray[np.uint32]  # lower-case code point, or space for anything but a letter (BMP)
    log_probs: npt.NDArray[np.float32]  # (2**BITS, len(LANGS)) log P(trigram bucket | language)


def normalise_hint(hint: str | None) -> str | None:
    """'en-US' -> 'en', 'PT_br' -> 'pt'; None unless the hint starts with a valid ISO 639-1 code."""
    if not hint:
        return None
    code = re.split(r"[-_]", hint.strip(), maxsplit=1)[0].lower()
    return code if code in ISO_639_1 else None


def detect(text: str, hint: str | None = None) -> str:
    """The language of `text`, one of LANGS or "unknown" when unsure; a valid `hint` wins."""
    return detect_batch([text], [hint])[0]


def detect_batch(texts: Sequence[str], hints: Sequence[str | None] | None = None) -> list[str]:
    """`detect` for many texts at once (much faster per text)."""
    results: list[str | None] = [normalise_hint(h) for h in hints] if hints else [None] * len(texts)
    if len(results) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(results)} hints")
    todo = [i for i, code in enumerate(results) if code is None]
    if todo:
        scores, letters = _log_likelihoods([texts[i] for i in todo], _tables())
        for i, lang in zip(todo, _decide(scores, letters), strict=True):
            results[i] = lang
    return [code or UNDETERMINED for code in results]


def _decide(scores: npt.NDArray[np.float64], letters: npt.NDArray[np.int64]) -> list[str]:
    top2 = np.sort(scores, axis=1)[:, -2:]
    sure = (letters >= MIN_LETTERS) & (top2[:, 1] - top2[:, 0] >= MIN_MARGIN)
    best = scores.argmax(axis=1)
    return [LANGS[b] if ok else UNDETERMINED for b, ok in zip(best.tolist(), sure.tolist(), strict=True)]


def _encode(
    texts: Sequence[str], lower: npt.NDArray[np.uint32]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Letters-only, lower-cased, space-padded code points of each text, and each position's text index."""
    joined = _SEP + (_SEP * 2).join(texts) + _SEP
    if joined.count(_SEP) != 2 * len(texts):
        joined = _SEP + (_SEP * 2).join(t.replace(_SEP, " ") for t in texts) + _SEP
    raw = np.frombuffer(_LINKS.sub(" ", joined).encode("utf-32-le"), dtype=np.uint32)
    boundary = raw == ord(_SEP)
    doc_of = (np.cumsum(boundary) - 1) // 2
    codes = np.where(raw < len(lower), lower[np.minimum(raw, len(lower) - 1)], _SPACE)
    codes[boundary] = _SPACE
    space = codes == _SPACE
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = ~(space[1:] & space[:-1] & (doc_of[1:] == doc_of[:-1]))
    return codes[keep].astype(np.uint64), doc_of[keep]


def _log_likelihoods(
    texts: Sequence[str], tables: _Tables
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    codes, doc_of = _encode(texts, tables.lower)
    letters = np.bincount(doc_of[codes != _SPACE], minlength=len(texts))
    scores = np.zeros((len(texts), len(LANGS)))
    for block in char_ngram_blocks(codes, doc_of, ORDERS, BITS):
        counts = np.bincount(block.docs, minlength=len(texts))
        present = counts > 0
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[present]
        if len(starts):
            scores[present] += np.add.reduceat(tables.log_probs[block.buckets], starts, axis=0)
    return scores, letters


def _lower_table() -> npt.NDArray[np.uint32]:
    table = np.full(0x10000, _SPACE, dtype=np.uint32)
    for cp in range(0x10000):
        ch = chr(cp)
        if ch.isalpha():
            low = ch.lower()
            table[cp] = ord(low) if len(low) == 1 else cp
    return table


@cache
def _tables() -> _Tables:
    with np.load(MODEL_PATH) as model:
        log_probs = model["log_probs"].astype(np.float32)
    return _Tables(_lower_table(), log_probs)


def train(texts_by_lang: dict[str, list[str]]) -> npt.NDArray[np.float32]:
    """Naive Bayes log-probabilities of the hashed trigrams, one column per language of LANGS."""
    lower = _lower_table()
    counts = np.zeros((1 << BITS, len(LANGS)))
    for column, lang in enumerate(LANGS):
        codes, doc_of = _encode(texts_by_lang[lang], lower)
        hashed = char_ngrams(codes, doc_of, ORDERS, BITS)
        counts[:, column] = np.bincount(hashed.buckets, minlength=1 << BITS)
    smoothed = counts + SMOOTHING
    log_probs: npt.NDArray[np.float32] = np.log(smoothed / smoothed.sum(axis=0)).astype(np.float32)
    return log_probs


def save(log_probs: npt.NDArray[np.float32], path: Path = MODEL_PATH) -> None:
    """Write the model as an .npz with fixed zip timestamps, so that retraining gives identical bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("log_probs.npy", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as handle:
            np.lib.format.write_array(handle, log_probs.astype(np.float16), allow_pickle=False)


def main() -> None:
    parser = argparse.ArgumentParser(description="Train or check the language identifier.")
    parser.add_argument("--train", action="store_true", help=f"retrain and rewrite {MODEL_PATH.name}")
    args = parser.parse_args()
    from services.understanding.sentiment import data

    if args.train:
        save(train({lang: data.xlmt(lang, "train").texts for lang in LANGS}))
        _tables.cache_clear()
    total = correct = unsure = 0
    for lang in LANGS:
        found = detect_batch(data.xlmt(lang, "val").texts)
        total += len(found)
        correct += sum(f == lang for f in found)
        unsure += sum(f == UNDETERMINED for f in found)
        accuracy = sum(f == lang for f in found) / len(found)
        print(f"{lang}: accuracy {accuracy:.3f}  {UNDETERMINED} {found.count(UNDETERMINED)}")
    print(f"all: accuracy {correct / total:.3f}, {UNDETERMINED} {unsure / total:.3f} (XLM-T val)")


if __name__ == "__main__":
    main()
