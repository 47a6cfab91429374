"""The sentiment lexicon used as model features: word valences and function words, per language.

Built at training time from VADER's English lexicon and emoji list (vaderSentiment, MIT licence) and the
hand-written `lexicons` module, then stored inside the model file so that scoring never depends on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from services.understanding.sentiment import lexicons

LANGS = ("en", "fr", "es", "de", "it", "pt")
SHARED = "*"
_ENGLISH_WORD = re.compile(r"[a-z][a-z'-]*")
#: Emoji variation selectors, zero-width joiner and skin tones: removed, so that "👍🏽" reads as "👍".
EMOJI_NOISE = re.compile("[\ufe0e\ufe0f\u200d\U0001f3fb-\U0001f3ff]")
#: Emoji blocks whose VADER descriptions carry their sentiment (faces, hearts, hands); the descriptions of
#: other emoji are too literal ("game die" would read as "die").
_EXPRESSIVE = (
    range(0x1F600, 0x1F650),
    range(0x1F910, 0x1F930),
    range(0x1F970, 0x1F97B),
    range(0x1F493, 0x1F4A0),
    range(0x1F44B, 0x1F451),
)


#: English lexicon words that are frequent neutral words of the other languages ("die", "sin", "gift", ...).
_FALSE_FRIENDS = frozenset(["die", "sin", "gift", "fast", "mist", "con", "come", "pour", "son", "arm", "fee"])
#: Kinds of tokens (first item of an `Entry`); END marks the end of a text in a batch.
WORD, NEGATION, CONTRAST, SYMBOL, DROP, END = range(6)
#: (kind, valence or 0, booster increment or 0, valence when negated or None for the VADER default)
Entry = tuple[int, float, float, float | None]
#: Punctuation: ends a negation scope and is left out of the features.
PUNCTUATION = frozenset("\"#$%&'()*+,-./:;<=>@[\\]^_{|}~«»“”„‘’¿¡–—•…·") | {"...", ".."}


@dataclass(frozen=True)
class Rules:
    """What each folded token means in one language."""

    entries: dict[str, Entry]


#: Reserved token columns of `Tables`.
UNKNOWN_WORD, UNKNOWN_SYMBOL, END_OF_TEXT = 0, 1, 2


@dataclass(frozen=True)
class Tables:
    """The rules of every language as arrays: row 0 for an unknown language, row i for LANGS[i - 1];
    one column per token of `columns` (after the reserved ones), so a batch is read with array lookups."""

    columns: dict[str, int]
    kind: npt.NDArray[np.int8]
    valence: npt.NDArray[np.float64]
    increment: npt.NDArray[np.float64]
    negated: npt.NDArray[np.float64]  # NaN: the default, valence * N_SCALAR
    #: Multi-word expressions (see `normalise.join_phrases`): (column of word 1) * width + (column of word 2),
    #: sorted, and for each such pair the other words and the expression's token, longest first.
    phrase_pairs: npt.NDArray[np.int64]
    phrase_rest: dict[int, list[tuple[tuple[str, ...], str]]]
    sarcasm: npt.NDArray[np.bool_]  # per column: a sarcasm marker


@dataclass(frozen=True)
class Lexicon:
    valences: dict[str, dict[str, float]]  # language (or SHARED) -> folded token -> valence
    negations: dict[str, list[str]]
    boosters: dict[str, dict[str, float]]
    contrasts: dict[str, list[str]]
    negated: dict[str, dict[str, float]]
    phrases: dict[str, dict[str, float]]  # language -> folded phrase -> valence of its token
    sarcasm: list[str]  # markers ("sarcasm" of "#sarcasm", 🙃): the text's positive words read as negative

    def to_json(self) -> dict[str, Any]:
        return {
            "valences": self.valences,
            "negations": self.negations,
            "boosters": self.boosters,
            "contrasts": self.contrasts,
            "negated": self.negated,
            "phrases": self.phrases,
            "sarcasm": self.sarcasm,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lexicon:
        return cls(
            data["valences"],
            data["negations"],
            data["boosters"],
            data["contrasts"],
            data["negated"],
            data.get("phrases", {}),
            data.get("sarcasm", []),
        )

    def _union(self) -> dict[str, float]:
        union: dict[str, float] = {}
        conflicts: set[str] = set(_FALSE_FRIENDS)
        for lang in LANGS:
            for token, value in self.valences.get(lang, {}).items():
                if token in union and (union[token] > 0) != (value > 0):
                    conflicts.add(token)
                union.setdefault(token, value)
        return {token: value for token, value in union.items() if token not in conflicts}

    def tables(self) -> Tables:
        rules = [self.rules(lang) for lang in (None, *LANGS)]
        phrases = sorted(
            {phrase for table in self.phrases.values() for phrase in table}, key=len, reverse=True
        )
        words = {word for phrase in phrases for word in phrase.split()} | set(self.sarcasm)  # own columns
        tokens = sorted({token for rule in rules for token in rule.entries} | words)
        columns = {token: i for i, token in enumerate(tokens, start=END_OF_TEXT + 1)}
        shape = (len(rules), len(columns) + END_OF_TEXT + 1)
        kind = np.full(shape, WORD, dtype=np.int8)
        kind[:, UNKNOWN_SYMBOL], kind[:, END_OF_TEXT] = SYMBOL, END
        valence, increment, negated = np.zeros(shape), np.zeros(shape), np.full(shape, np.nan)
        for row, rule in enumerate(rules):
            for token, (token_kind, value, boost, when_negated) in rule.entries.items():
                column = columns[token]
                kind[row, column], valence[row, column], increment[row, column] = token_kind, value, boost
                if when_negated is not None:
                    negated[row, column] = when_negated
        width = shape[1]
        rest: dict[int, list[tuple[tuple[str, ...], str]]] = {}
        for phrase in phrases:
            first, second, *others = phrase.split()
            pair = columns[first] * width + columns[second]
            rest.setdefault(pair, []).append((tuple(others), phrase_token(phrase)))
        pairs = np.array(sorted(rest), dtype=np.int64)
        sarcasm = np.zeros(width, dtype=bool)
        sarcasm[[columns[marker] for marker in self.sarcasm]] = True
        return Tables(columns, kind, valence, increment, negated, pairs, rest, sarcasm)

    def rules(self, lang: str | None) -> Rules:
        """Rules for `lang`. For another or no language (a short or mixed text): the words of all the
        lexicons, except those whose valence differs in sign between languages, and all function words."""
        langs = [lang] if lang in self.negations else list(self.negations)
        entries: dict[str, Entry] = {token: (DROP, 0.0, 0.0, None) for token in PUNCTUATION}
        for token, value in self.valences.get(SHARED, {}).items():  # emoji, emoticons, "haha": never negated
            entries[token] = (SYMBOL, value, 0.0, None)
        valences = self.valences.get(lang or "", {}) if len(langs) == 1 else self._union()
        negated = self.negated.get(lang or "", {}) if len(langs) == 1 else {}
        boosters: dict[str, float] = {}
        for code in langs:
            for token, increment in self.boosters.get(code, {}).items():
                boosters.setdefault(token, increment)
        for token in {*valences, *boosters}:
            entries[token] = (WORD, valences.get(token, 0.0), boosters.get(token, 0.0), negated.get(token))
        for code in langs:
            entries.update({token: (CONTRAST, 0.0, 0.0, None) for token in self.contrasts.get(code, [])})
            entries.update({token: (NEGATION, 0.0, 0.0, None) for token in self.negations.get(code, [])})
        return Rules(entries)


def _vader_file(name: str) -> list[str]:
    return resources.files("vaderSentiment").joinpath(name).read_text(encoding="utf-8").splitlines()


def _words(block: str) -> list[str]:
    return sorted(set(block.split()))


def build() -> Lexicon:
    """Assemble the lexicon from VADER and the hand-written tables (deterministic)."""
    english: dict[str, float] = {}
    shared: dict[str, float] = {}
    for line in _vader_file("vader_lexicon.txt"):
        token, value = line.split("\t")[:2]
        if " " in token:
            continue
        key = token.casefold()
        if _ENGLISH_WORD.fullmatch(key):
            english.setdefault(key, float(value))
        elif not key.isalnum():  # emoticons; not chat numbers such as "143", which collide with counts
            shared.setdefault(key, float(value))
    for line in _vader_file("emoji_utf8_lexicon.txt"):
        emoji, description = line.split("\t")[:2]
        emoji = EMOJI_NOISE.sub("", emoji)
        if len(emoji) == 1 and any(ord(emoji) in block for block in _EXPRESSIVE):
            total = sum(english.get(word, 0.0) for word in description.lower().split())
            if total:
                shared.setdefault(emoji, max(-3.0, min(3.0, total)))
    overrides = lexicons.parse_valences(lexicons.EMOJI) | lexicons.parse_valences(lexicons.SHARED)
    shared.update({EMOJI_NOISE.sub("", key): value for key, value in overrides.items()})
    for word in lexicons.NEGATIONS["en"].split():  # cues are handled as negations, not as valences
        english.pop(word, None)
    valences = {SHARED: dict(sorted(shared.items())), "en": dict(sorted(english.items()))}
    for lang, block in lexicons.WORDS.items():
        valences[lang] = lexicons.parse_valences(block)
    for lang in LANGS:
        table = valences.setdefault(lang, {})
        for word, complaint in lexicons.parse_valences(lexicons.COMPLAINTS.get(lang, "")).items():
            table.setdefault(word, complaint)
        valences[lang] = dict(sorted(table.items()))
    phrases = {lang: lexicons.parse_phrases(block) for lang, block in lexicons.PHRASES.items()}
    for table in phrases.values():  # like emoji: the same in every language, never negated
        shared.update({phrase_token(phrase): value for phrase, value in table.items()})
    valences[SHARED] = dict(sorted(shared.items()))
    boosters = {lang: lexicons.parse_valences(block) for lang, block in lexicons.BOOSTERS.items()}
    for table in [*valences.values(), *boosters.values()]:
        _check_folded(table)
    return Lexicon(
        valences=valences,
        negations={lang: _words(block) for lang, block in lexicons.NEGATIONS.items()},
        boosters={lang: dict(sorted(table.items())) for lang, table in boosters.items()},
        contrasts={lang: _words(block) for lang, block in lexicons.CONTRASTS.items()},
        negated={lang: lexicons.parse_valences(block) for lang, block in lexicons.NEGATED.items()},
        phrases=phrases,
        sarcasm=_words(lexicons.SARCASM),
    )


def phrase_token(phrase: str) -> str:
    """The one token a multi-word expression is read as: its words joined ("on hold" -> "onhold")."""
    return phrase.replace(" ", "")


def _check_folded(table: dict[str, float]) -> None:
    bad = [word for word in table if word.isalpha() and (not word.isascii() or word != word.lower())]
    if bad:
        raise ValueError(f"lexicon entries not in folded form: {bad[:10]}")
