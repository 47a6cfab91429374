"""Which authors are journalists or media outlets, from configurable handle, domain and bio-word lists.

An author is `media` when their handle is a listed outlet handle, or their domain is a listed outlet domain
and their bio does not describe a person's job; `journalist` when their bio holds one of the listed words
(folded: case and accents do not matter, so "Rédactrice" matches "redactrice"). The built-in lists hold a
modest set of job words in the room's usual languages and the demo's fictional outlets; settings add to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

from services.demo.authors import OUTLETS
from services.settings import Settings
from services.understanding.text import fold

BIO_WORDS: tuple[str, ...] = (
    "journalist",
    "journaliste",
    "journalistin",
    "reporter",
    "periodista",
    "giornalista",
    "editor",
    "redacteur",
    "redactrice",
    "correspondent",
    "correspondant",
    "correspondante",
    "columnist",
    "chroniqueur",
    "chroniqueuse",
    "anchor",
    "newsroom",
)
MEDIA_HANDLES: tuple[str, ...] = tuple(outlet[1] for outlet in OUTLETS)
MEDIA_DOMAINS: tuple[str, ...] = tuple(outlet[2] for outlet in OUTLETS)


class MediaFlags(msgspec.Struct, frozen=True):
    journalist: bool = False
    media: bool = False

    @property
    def press(self) -> bool:
        return self.journalist or self.media


NOT_PRESS = MediaFlags()


def split_list(text: str) -> list[str]:
    """'a, b,,c' -> ['a', 'b', 'c'] (a comma-separated setting)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _domain_of(value: str) -> str:
    value = value.strip().lower().removeprefix("https://").removeprefix("http://")
    return value.split("/", 1)[0].removeprefix("www.")


class MediaClassifier:
    def __init__(
        self,
        handles: Iterable[str] = MEDIA_HANDLES,
        domains: Iterable[str] = MEDIA_DOMAINS,
        bio_words: Iterable[str] = BIO_WORDS,
    ) -> None:
        self.handles = {handle.strip().lstrip("@").lower() for handle in handles if handle.strip()}
        self.domains = {_domain_of(domain) for domain in domains if domain.strip()}
        words = sorted({fold(word.strip()) for word in bio_words if word.strip()})
        self._bio = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)")
            if words
            else None
        )
        self._cache: dict[tuple[str, str | None, str | None], MediaFlags] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaClassifier:
        return cls(
            handles=[*MEDIA_HANDLES, *split_list(settings.journalist_handles)],
            domains=[*MEDIA_DOMAINS, *split_list(settings.journalist_domains)],
            bio_words=[*BIO_WORDS, *split_list(settings.journalist_bio_words)],
        )

    def _domain_listed(self, domain: str) -> bool:
        domain = _domain_of(domain)
        return any(domain == listed or domain.endswith("." + listed) for listed in self.domains)

    def classify(self, handle: str, bio: str | None, domain: str | None) -> MediaFlags:
        key = (handle, bio, domain)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        journalist = bool(bio and self._bio is not None and self._bio.search(fold(bio)))
        media = handle.lstrip("@").lower() in self.handles or (
            not journalist and domain is not None and self._domain_listed(domain)
        )
        flags = MediaFlags(journalist=journalist, media=media) if journalist or media else NOT_PRESS
        if len(self._cache) >= 100_000:  # bounded: authors come and go
            self._cache.clear()
        self._cache[key] = flags
        return flags
