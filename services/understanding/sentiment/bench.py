"""Throughput of sentiment `score_batch` (linear backend) and language `detect_batch`, on one core.

    python -m services.understanding.sentiment.bench [--texts 50000]

Texts are short social posts in the six languages (links, handles, hashtags, emoji), cycled with a counter
appended so that no two are equal; the XLM-T validation tweets are timed too when the data is present.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from functools import partial

from services.understanding.language import detect_batch
from services.understanding.sentiment import data
from services.understanding.sentiment.linear import LinearScorer

POSTS = (
    "Just tried the new @acme app and it's sooo good 😍 #love",
    "Worst customer service ever, waited 2 hours for nothing. #fail https://t.co/abc",
    "not bad at all, the update fixed my battery issues",
    "Anyone else having problems logging in this morning?",
    "C'est nul, j'attends ma commande depuis trois semaines 😡",
    "J'adore la nouvelle collection, trop belle !! https://t.co/x",
    "Pas terrible le service client, personne ne répond...",
    "No está mal, pero esperaba más por ese precio",
    "Me encanta!!! Gracias @tienda por el envío tan rápido 🙌",
    "Qué vergüenza de atención al cliente, nunca más",
    "Das ist wirklich nicht schlecht, bin positiv überrascht",
    "Total enttäuscht von der Lieferung, alles kaputt 👎",
    "Heute Abend Konzert in Berlin, wer kommt mit?",
    "Che schifo, il servizio è pessimo e nessuno risponde",
    "Bellissima esperienza, lo consiglio a tutti! ❤️",
    "Non è male, ma potrebbe essere meglio",
    "Adorei o atendimento, super rápido e eficiente 👏",
    "Péssimo serviço, nunca mais compro aqui",
    "Alguém sabe se a loja abre no domingo?",
    "ok",
)


def posts(count: int) -> list[str]:
    return [f"{POSTS[i % len(POSTS)]} {i}" for i in range(count)]


def rate(run: Callable[[Sequence[str]], object], texts: Sequence[str], repeats: int = 3) -> float:
    """Best texts/second over `repeats` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=50_000)
    args = parser.parse_args()
    scorer = LinearScorer()
    corpora = {"short posts": posts(args.texts)}
    try:
        tweets = [t for lang in data.LANGUAGES for t in data.xlmt(lang, "val").texts]
        corpora["XLM-T val tweets"] = (tweets * (args.texts // len(tweets) + 1))[: args.texts]
    except OSError:
        pass
    for name, texts in corpora.items():
        chars = sum(map(len, texts)) / len(texts)
        unknown: list[str | None] = [None] * len(texts)
        given: list[str | None] = list(detect_batch(texts))
        rates = {
            "sentiment score_batch, langs=None ": rate(partial(scorer.score_batch, langs=unknown), texts),
            "sentiment score_batch, langs given": rate(partial(scorer.score_batch, langs=given), texts),
            "language detect_batch             ": rate(detect_batch, texts),
        }
        print(f"{name} ({len(texts):,} texts, {chars:.0f} characters on average):")
        for what, per_second in rates.items():
            print(f"  {what}: {per_second:>9,.0f} texts/s")


if __name__ == "__main__":
    main()
