"""Reading the labels people set in a deployment (`vigie corrections export`: `corrections_<lang>.tsv` files
of `neg|neu|pos<TAB>text` lines, the format of the extra training files) for `train --corrections DIR`."""

from __future__ import annotations

from pathlib import Path

from services.understanding.sentiment.data import Split

LABEL_IDS = {"neg": 0, "neu": 1, "pos": 2}
PATTERN = "corrections_*.tsv"


def read_file(path: Path) -> Split:
    """One language's corrections; ValueError naming the line that is not `label<TAB>text`."""
    texts: list[str] = []
    labels: list[int] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            label, tab, text = line.rstrip("\n").partition("\t")
            if not tab or label not in LABEL_IDS or not text.strip():
                raise ValueError(f"{path}:{number}: expected 'neg|neu|pos<TAB>text', got {line[:40]!r}")
            texts.append(text)
            labels.append(LABEL_IDS[label])
    return Split(path.stem, texts, labels, path.stem.removeprefix("corrections_"))


def read_folder(folder: Path) -> list[Split]:
    """Every corrections file of `folder`, by language; FileNotFoundError when it holds none."""
    files = sorted(folder.glob(PATTERN))
    if not files:
        raise FileNotFoundError(
            f"expected {PATTERN} files in {folder} (vigie corrections export), found none"
        )
    return [read_file(path) for path in files]
