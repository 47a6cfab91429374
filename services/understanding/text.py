"""Text helpers shared by extraction, matching and scoring: entities, normalisation, tokens."""

from __future__ import annotations

import re
import unicodedata

_HASHTAG = re.compile(r"(?<![\w&])#(\w*[^\W\d_]\w*)", re.UNICODE)
#: Twitter, Mastodon and most networks: letters, digits and underscores only, so "@AmericanAir.If" is
#: "americanair" and "@united...lies" is "united".
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]+)")
#: Bluesky handles are domain names: labels joined by single dots, hyphens only inside a label, so a handle
#: never ends with a dot or hyphen ("@alice.bsky.social." is "alice.bsky.social").
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_BLUESKY_MENTION = re.compile(rf"(?<![\w@])@({_LABEL}(?:\.{_LABEL})*)")
#: Sources whose handles follow the Bluesky rule.
DOTTED_HANDLE_SOURCES = frozenset({"bluesky"})
_LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def extract_hashtags(text: str) -> list[str]:
    """Hashtags without '#', lower-cased, in order of first appearance."""
    return _unique([tag.lower() for tag in _HASHTAG.findall(text)])


def extract_mentions(text: str, source: str = "") -> list[str]:
    """@handles without '@', lower-cased, as the network of `source` writes them: dots inside a handle only
    on Bluesky (see `DOTTED_HANDLE_SOURCES`); elsewhere a dot or hyphen ends the handle."""
    pattern = _BLUESKY_MENTION if source in DOTTED_HANDLE_SOURCES else _MENTION
    return _unique([handle.lower() for handle in pattern.findall(text)])


def extract_links(text: str) -> list[str]:
    return _unique([link.rstrip(".,;:!?)") for link in _LINK.findall(text)])


def _combining_marks() -> re.Pattern[str]:
    """Every combining mark of the Basic Multilingual Plane, as one character class."""
    marks = [chr(code) for code in range(0x300, 0x10000) if unicodedata.combining(chr(code))]
    return re.compile("[" + "".join(re.escape(mark) for mark in marks) + "]+")


_COMBINING = _combining_marks()


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Élan Café' -> 'elan cafe'. Most social text is ASCII: that path
    is a plain lower-casing; other text is decomposed and loses its combining marks."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


#: Characters remembered by `_TokenMap` at most (a hostile stream cannot make it grow without bound).
_TOKEN_MAP_MAX = 100_000


class _TokenMap(dict[int, str]):
    """For `str.translate`: each character's folded form with everything but letters and digits made
    spaces ('É' -> 'e', '-' -> ' ', '_' -> ' '), worked out on first sight. Folding one character at a time
    gives what `fold` gives the whole text, but for the order of combining marks, which are dropped or
    become spaces either way."""

    def __missing__(self, code: int) -> str:
        value = "".join(char if char.isalnum() else " " for char in fold(chr(code)))
        if len(self) < _TOKEN_MAP_MAX:
            self[code] = value
        return value


_TOKEN_MAP = _TokenMap()


def tokens(text: str) -> list[str]:
    r"""Folded word tokens; links and the '#'/'@' sigils are dropped, so '#Acme' and '@acme' give 'acme'.
    An apostrophe splits words, so the French elision "l'Aérolis" gives 'l', 'aerolis'. The words are those
    `[^\W_]+` finds in the folded text (letters and digits: `str.isalnum`), found by one `str.translate`
    pass and a split rather than by folding, then a regex."""
    if "://" in text:
        text = _LINK.sub(" ", text)
    return text.translate(_TOKEN_MAP).split()
