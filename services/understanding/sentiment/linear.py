"""The trained linear sentiment backend: multinomial logistic regression over hashed n-grams and lexicon sums.

Scoring needs numpy only: the model file (services/understanding/sentiment/model/linear.npz, written by
`python -m services.understanding.sentiment.train`) holds the non-zero weight rows, the feature settings and
the lexicon. score = P(pos) - P(neg), label = the most probable class.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from services.understanding.language import detect_batch
from services.understanding.sentiment import LABELS, Sentiment
from services.understanding.sentiment.features import FeatureConfig, Features, Featurizer
from services.understanding.sentiment.lexicon import Lexicon

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
MODEL_PATH = Path(__file__).resolve().parent / "model" / "linear.npz"
CHUNK = 8192  # texts featurised at once, bounds memory for large batches
#: A camel-case hashtag that is a sentiment phrase (`normalise.hashtag_valences`) the lexicon reads clearly
#: positive or negative ("#EinfachToll" +2.5, "#TropContent" +2.6, "#EpicFail" -2.5) is the author's own
#: summary of the post: it adds HASHTAG_LOGIT to that class's score, on top of what the trained weights make
#: of its words (which, in German, have seen "toll" used ironically). Milder words ("legal", "good": 2.0,
#: 1.9) are common in names ("#DomingoLegal", a TV show: Portuguese validation lost a text at 1.5).
HASHTAG_CLEAR_VALENCE = 2.5
HASHTAG_LOGIT = 1.0


class LinearModel(NamedTuple):
    config: FeatureConfig
    lexicon: Lexicon
    weights: F32  # (config.n_features, 3): one column per label of LABELS
    bias: F32  # (3,)
    meta: dict[str, Any]  # provenance: data, hyper-parameters, library versions

    def logits(self, features: Features, records: npt.NDArray[np.void] | None = None) -> F64:
        """Raw class scores; `records` is `as_records(self.weights)`, passed in to avoid recomputing it."""
        n = len(features.dense)
        out = np.tile(self.bias.astype(np.float64), (n, 1))
        rows = as_records(self.weights) if records is None else records
        for block in features.blocks:
            counts = np.bincount(block.hashed.docs, minlength=n)
            present = counts > 0
            if not present.any():
                continue
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[present]
            gathered = rows[block.hashed.buckets].view(np.float32).reshape(-1, len(LABELS))
            out[present] += np.add.reduceat(gathered, starts, axis=0) * block.scale[present, None]
        out += features.dense @ self.weights[1 << self.config.bits :]
        return out


def as_records(weights: F32) -> npt.NDArray[np.void]:
    """`weights` viewed as one opaque record per row: gathering rows this way is several times faster."""
    contiguous = np.ascontiguousarray(weights, dtype=np.float32)
    return contiguous.view(np.dtype((np.void, contiguous.shape[1] * 4))).ravel()


def probabilities(logits: F64) -> F64:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: F64 = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def _write(archive: zipfile.ZipFile, name: str, array: npt.NDArray[Any]) -> None:
    info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w") as handle:
        np.lib.format.write_array(handle, array, allow_pickle=False)


def save(model: LinearModel, path: Path = MODEL_PATH) -> None:
    """Sparse, float16 storage; fixed zip timestamps, so that the same model gives the same bytes."""
    hashed = model.weights[: 1 << model.config.bits]
    rows = np.flatnonzero(np.any(hashed != 0, axis=1)).astype(np.uint32)
    header = {"config": model.config.to_json(), "lexicon": model.lexicon.to_json(), "meta": model.meta}
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _write(archive, "header", np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8))
        _write(archive, "rows", np.diff(rows, prepend=np.uint32(0)))  # gaps compress better than indices
        _write(archive, "hashed", hashed[rows].astype(np.float16))
        _write(archive, "dense", model.weights[1 << model.config.bits :].astype(np.float32))
        _write(archive, "bias", model.bias.astype(np.float32))


def load(path: Path = MODEL_PATH) -> LinearModel:
    with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as archive:
        header = json.loads(archive["header"].tobytes())
        config = FeatureConfig(**header["config"])
        weights = np.zeros((config.n_features, len(LABELS)), dtype=np.float32)
        weights[np.cumsum(archive["rows"], dtype=np.int64)] = archive["hashed"]
        weights[1 << config.bits :] = archive["dense"]
        bias = archive["bias"].astype(np.float32)
    return LinearModel(config, Lexicon.from_json(header["lexicon"]), weights, bias, header["meta"])


class LinearScorer:
    """The default backend. Texts without any word, emoji or emoticon get (0.0, "neu"), and so do plain
    questions (a "?" and no clear lexicon valence: "Des idées ?"): a request for information is neutral.
    A hashtag that is a clear sentiment phrase weighs more than its words (HASHTAG_LOGIT)."""

    name = "linear"

    def __init__(self, model: LinearModel | None = None) -> None:
        self.model = model or load()
        self._featurizer = Featurizer(self.model.config, self.model.lexicon)
        self._records = as_records(self.model.weights)

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> tuple[F64, BoolArray]:
        """(texts, 3) probabilities of LABELS and which texts are neutral whatever the probabilities (no
        token, or a plain question); missing languages are detected."""
        codes = detect_batch(texts, langs)
        probs: list[F64] = []
        neutral: list[BoolArray] = []
        for i in range(0, len(texts), CHUNK):
            features = self._featurizer.transform(texts[i : i + CHUNK], codes[i : i + CHUNK])
            logits = self.model.logits(features, self._records)
            clear = np.abs(features.hashtag) >= HASHTAG_CLEAR_VALENCE
            logits[clear, np.where(features.hashtag[clear] > 0, 2, 0)] += HASHTAG_LOGIT
            probs.append(probabilities(logits))
            neutral.append(features.empty | features.plain_question)
        if not probs:
            return np.zeros((0, len(LABELS))), np.zeros(0, dtype=bool)
        return np.concatenate(probs), np.concatenate(neutral)

    def score_batch(self, texts: Sequence[str], langs: Sequence[str | None]) -> list[Sentiment]:
        probs, neutral = self.predict(texts, langs)
        scores = np.clip(probs[:, 2] - probs[:, 0], -1.0, 1.0).tolist()
        labels = probs.argmax(axis=1).tolist()
        return [
            Sentiment(0.0, "neu") if plain else Sentiment(score, LABELS[label])
            for plain, score, label in zip(neutral.tolist(), scores, labels, strict=True)
        ]
