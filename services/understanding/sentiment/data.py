"""Loading of the labelled tweets of shared/data/sentiment (see SOURCES.md there), for training and tests.

The files are not shipped with the product. Their location defaults to `<repo>/../shared/data/sentiment` and
can be overridden with the `VIGIE_SENTIMENT_DATA` environment variable.
"""

from __future__ import annotations

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


def tweeteval_val(root: Path | None = None) -> Split:
    return _read((root or data_dir()) / "tweeteval_en", "val", "tweeteval_en", "en")
