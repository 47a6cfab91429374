"""`--track word,#tag,"two words"`: which mentions a connector keeps before producing them.

Matching is case- and accent-insensitive (`services.understanding.text.fold`): a word or phrase matches whole
folded tokens of the text, a `#tag` matches the mention's hashtags. An empty track keeps everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.ingest.records import Mention
from services.understanding.text import fold, tokens


class Track:
    def __init__(self, terms: Iterable[str] = ()) -> None:
        self.tags: set[str] = set()
        self.phrases: list[tuple[str, ...]] = []
        for term in terms:
            term = term.strip()
            if term.startswith("#") and term.strip("#"):
                self.tags.add(fold(term.strip("#")))
            elif phrase := tuple(tokens(term)):
                self.phrases.append(phrase)

    @classmethod
    def parse(cls, text: str | None) -> Track:
        """From the comma-separated CLI form."""
        return cls((text or "").split(","))

    def __bool__(self) -> bool:
        return bool(self.tags or self.phrases)

    def terms(self) -> list[str]:
        return [f"#{tag}" for tag in sorted(self.tags)] + [" ".join(phrase) for phrase in self.phrases]

    def keeps(self, mention: Mention) -> bool:
        if not self:
            return True
        if self.tags and any(fold(tag) in self.tags for tag in mention.hashtags or ()):
            return True
        if not self.phrases:
            return False
        words = tokens(mention.text)
        for phrase in self.phrases:
            size = len(phrase)
            if any(tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1)):
                return True
        return False
