"""Loading of the labelled tweets of shared/data/sentiment (see SOURCES.md there), for training and tests.

The files are not shipped with the product. Their location defaults to `<repo>/../shared/data/sentiment` and
can be overridden with the `VIGIE_SENTIMENT_DATA` environment variable.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import NamedTuple

#: Folder name of each language in xlmt/, by ISO 639-1 code.
LANGUAGES: dict[str, str] = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "de": "german",
    "it": "italian",
    "pt": "portuguese",
}

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


class Split(NamedTuple):
    name: str
    texts: list[str]
    labels: list[int]  # 0 = neg, 1 = neu, 2 = pos
    lang: str | None


def data_dir() -> Path:
    configured = os.environ.get("VIGIE_SENTIMENT_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[4] / "shared" / "data" / "sentiment"


def clean(line: str) -> str:
    """Undo the export artefacts of the source files: literal \\uXXXX escapes and CSV-style quoting."""
    text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line.strip())
    if text.startswith('"'):
        text = text[1:-1] if text.endswith('"') and len(text) > 1 else text[1:]
        text = text.replace('\\""""', '"').replace('""', '"')
    return text.strip()


def _read(folder: Path, split: str, name: str, lang: str | None) -> Split:
    with open(folder / f"{split}_text.txt", encoding="utf-8") as handle:
        texts = [clean(line) for line in handle]
    with open(folder / f"{split}_labels.txt", encoding="utf-8") as handle:
        labels = [int(line) for line in handle if line.strip()]
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {len(texts)} texts but {len(labels)} labels in {split}")
    return Split(name, texts, labels, lang)


def xlmt(lang: str, split: str, root: Path | None = None) -> Split:
    """The `split` ("train" or "val") of one language of the XLM-T sentiment corpus."""
    folder = (root or data_dir()) / "xlmt" / LANGUAGES[lang]
    return _read(folder, split, f"xlmt_{lang}", lang)


def has_xlmt(lang: str, split: str, root: Path | None = None) -> bool:
    """Whether the data folder holds that split of that language (a deployment's may hold "train" only)."""
    return ((root or data_dir()) / "xlmt" / LANGUAGES[lang] / f"{split}_text.txt").is_file()


def tweeteval_val(root: Path | None = None) -> Split:
    return _read((root or data_dir()) / "tweeteval_en", "val", "tweeteval_en", "en")


# -- extra/ (label<TAB>text files, see extra/SOURCES.md) and the untouched test split ------------------------

_EXTRA_LABELS = {"neg": 0, "neu": 1, "pos": 2}
#: Salt of the hash that carves the test split: changing it would change the test split.
_TEST_SALT = b"vigie-sentiment-test-2026-12"
#: Share of each XLM-T language's training split kept aside as the untouched test split.
TEST_SHARE = 0.2
#: Share of each brand set kept aside for the complaint-stream check (never trained on).
BRAND_CHECK_SHARE = 0.35


class ExtraFile(NamedTuple):
    path: str  # relative to extra/
    lang: str
    weight: float  # weight of the file's texts relative to an XLM-T training tweet
    brands: bool = False  # brand/product mentions: part of it is kept for the complaint-stream check


#: The extra files trained on, with their weights: human labels on tweets 0.5, other media (SMS, blogs,
#: comments) 0.3, the hydrated pos/neg-only Mozetic tweets (noisy, skewed) 0.2. The per-class balance of
#: each language is restored in `train.sample_weights`. The distant (emoticon-labelled) Sentiment140 sample
#: is not used: machine labels, and it would double the training time for English, which has plenty of
#: human labels. Nor are the Spanish and Portuguese Mozetic files (no neutral, skewed): with the Spanish one
#: (81 % positive) Spanish validation fell from 0.57 to 0.52; Portuguese validation is 0.560 without its
#: file (0.551 with it, both with the 2026-12-06 normalisation).
EXTRA_FILES: tuple[ExtraFile, ...] = (
    ExtraFile("human/en_semeval_twitter_2013-2016.tsv", "en", 0.5),
    ExtraFile("human/en_semeval_sms2013.tsv", "en", 0.3),
    ExtraFile("human/en_semeval_livejournal2014.tsv", "en", 0.3),
    ExtraFile("human/en_sentimp21_uk.tsv", "en", 0.5),
    ExtraFile("human/en_sanders_tech_brands.tsv", "en", 0.5, brands=True),
    ExtraFile("human/en_crowdflower_apple.tsv", "en", 0.5, brands=True),
    ExtraFile("human/en_crowdflower_sxsw_brands.tsv", "en", 0.5, brands=True),
    ExtraFile("human/en_mozetic2016_posneg.tsv", "en", 0.2),
    ExtraFile("human/es_sentimp21_sp.tsv", "es", 0.5),
    ExtraFile("human/de_mozetic2016_posneg.tsv", "de", 0.2),
    ExtraFile("human/de_sb10k.tsv", "de", 0.5),
    ExtraFile("human/it_sentipolc2016.tsv", "it", 0.5),
    ExtraFile("human/it_feelit.tsv", "it", 0.5),
    ExtraFile("human/it_multiemotions_youtube_facebook.tsv", "it", 0.3),
)


def extra_files(root: Path | None = None) -> tuple[ExtraFile, ...]:
    """EXTRA_FILES, or none when the data folder has no extra/ folder (XLM-T only); a listed file missing
    from an existing extra/ folder is an error when it is read."""
    return EXTRA_FILES if ((root or data_dir()) / "extra").is_dir() else ()


def extra(file: ExtraFile, root: Path | None = None) -> Split:
    """One file of extra/, in its file order."""
    texts: list[str] = []
    labels: list[int] = []
    path = (root or data_dir()) / "extra" / file.path
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            label, tab, text = line.rstrip("\n").partition("\t")
            if not tab or label not in _EXTRA_LABELS:
                raise ValueError(f"{path}:{number}: expected 'neg|neu|pos<TAB>text', got {line[:40]!r}")
            texts.append(text)
            labels.append(_EXTRA_LABELS[label])
    return Split(Path(file.path).stem, texts, labels, file.lang)


def key(text: str) -> str:
    """What makes two texts the same for the test split: folded letters and digits, no handles or links."""
    return "".join(re.findall(r"[^\W_]+", re.sub(r"(?:http|@|www\.)\S*", " ", text).casefold()))


def hash_share(text: str) -> float:
    """A fixed pseudo-random number in [0, 1) for a text (the same in every process and on every machine)."""
    digest = hashlib.blake2b(key(text).encode(), digest_size=8, key=_TEST_SALT).digest()
    return int.from_bytes(digest, "big") / 2**64


def partition(split: Split, share: float) -> tuple[Split, Split]:
    """(kept, held out): `share` of the texts, chosen by `hash_share`, are held out."""
    held = [hash_share(text) < share for text in split.texts]
    kept = [(t, y) for t, y, h in zip(split.texts, split.labels, held, strict=True) if not h]
    out = [(t, y) for t, y, h in zip(split.texts, split.labels, held, strict=True) if h]
    return (
        Split(split.name, [t for t, _ in kept], [y for _, y in kept], split.lang),
        Split(split.name, [t for t, _ in out], [y for _, y in out], split.lang),
    )


def xlmt_test(lang: str, root: Path | None = None) -> Split:
    """The untouched test split of one language: TEST_SHARE of XLM-T's training split, chosen by hash."""
    _, held = partition(xlmt(lang, "train", root), TEST_SHARE)
    return held._replace(name=f"test_{lang}")


def xlmt_train(lang: str, root: Path | None = None) -> Split:
    """XLM-T's training split without the test tweets."""
    kept, _ = partition(xlmt(lang, "train", root), TEST_SHARE)
    return kept


def brand_check(root: Path | None = None) -> list[Split]:
    """The held-out part of each brand set (for the complaint-stream check)."""
    return [partition(extra(f, root), BRAND_CHECK_SHARE)[1] for f in extra_files(root) if f.brands]


def extra_train(file: ExtraFile, root: Path | None = None) -> Split:
    """An extra file without its held-out part (brand sets only)."""
    split = extra(file, root)
    return partition(split, BRAND_CHECK_SHARE)[0] if file.brands else split
