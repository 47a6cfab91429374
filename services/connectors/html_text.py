"""HTML (a Mastodon status, an RSS description) to plain text, with the stdlib parser: no markup survives.

Paragraphs and line breaks become newlines, entities are decoded, script and style are dropped, and the
links' targets are collected apart from the ones that are @mention or #hashtag links.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr"}
_SKIPPED = {"script", "style", "template"}
_WHITESPACE = re.compile(r"\s+")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            values = dict(attrs)
            classes = (values.get("class") or "").split()
            rel = (values.get("rel") or "").split()
            href = values.get("href")
            if href and not ({"mention", "hashtag", "u-url"} & set(classes) or "tag" in rel):
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(_WHITESPACE.sub(" ", data))  # in HTML a newline is a space; tags break lines


def html_to_text(html: str) -> tuple[str, list[str]]:
    """(plain text, link targets other than @mention and #hashtag links)."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(collector.parts).split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text, list(dict.fromkeys(collector.links))
