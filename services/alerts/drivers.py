"""What drives an alert: the "why" each alert and incident carries (`details["why"]`).

For a watchlist, at the moment an alert fires or rises (services/alerts/engine.py asks `Drivers.why`):
- `new_hashtags`: hashtags of its mentions in the last `window_s` (5 minutes) that were rare in the hour
  before (at most a fifth of their recent use per 5 minutes), most used first;
- `new_terms`: the same for the words of its mentions (folded, `MIN_TERM_CHARS` letters or more, hashtags
  and handles excluded: "delayed", "luggage");
- `negative_posts`: the most-reached negative posts by high-reach authors or the press (with links);
- `coordinated_share`: the share of its mentions of the last 5 minutes found to be coordinated;
- `swarms` and `campaigns`: the hashtag swarms and coordinated campaigns touching it lately;
- `text`: all of it in one line for a person (a phone notification, an e-mail, a Slack message).
Every part is bounded: per-minute hashtag counts over the last hour, the last swarms and campaigns seen.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from services.understanding.text import fold

#: Hashtags a "why" lists, posts, swarms and campaigns.
LISTED = 3
#: Uses in the window a hashtag needs to be news; a word.
MIN_TAG_USES = 5
MIN_TERM_USES = 10
MIN_TERM_CHARS = 5

#: Words of a mention worth counting: runs of MIN_TERM_CHARS letters or more (numbers and codes are not news);
#: hashtags, handles and links left out first.
_TERM = re.compile(rf"[^\W\d_]{{{MIN_TERM_CHARS},}}")
_SIGILED = re.compile(r"(?:https?://|www\.)\S+|[#@]\w+")


class Drivers:
    def __init__(self, window_s: float = 300.0, history_s: float = 3600.0) -> None:
        self.window_s = window_s
        self.history_s = history_s
        #: watchlist -> minute (epoch s // 60) -> hashtag counts.
        self._tags: dict[str, dict[int, Counter[str]]] = {}
        self._terms: dict[str, dict[int, Counter[str]]] = {}
        self._swarms: dict[str, list[dict[str, Any]]] = {}
        self._campaigns: dict[str, list[dict[str, Any]]] = {}
        self._coordinated_share: dict[str, float] = {}

    # -- input ----------------------------------------------------------------------------------------

    def add_hashtags(self, watchlists: Iterable[str], ts: float, tags: Iterable[str]) -> None:
        self._add(self._tags, watchlists, ts, {tag.lower() for tag in tags})

    def add_text(self, watchlists: Iterable[str], ts: float, text: str, tags: Iterable[str] = ()) -> None:
        """The words of a mention (each once), its hashtags and handles left out."""
        words = set(_TERM.findall(fold(_SIGILED.sub(" ", text))))
        if tags:
            words.difference_update(tag.lower() for tag in tags)
        self._add(self._terms, watchlists, ts, words)

    def _add(
        self, table: dict[str, dict[int, Counter[str]]], watchlists: Iterable[str], ts: float, items: set[str]
    ) -> None:
        if not items:
            return
        minute = int(ts // 60)
        for watchlist in watchlists:
            minutes = table.setdefault(watchlist, {})
            counts = minutes.get(minute)
            if counts is None:
                counts = minutes[minute] = Counter()
                horizon = minute - int(self.history_s // 60)
                for old in [m for m in minutes if m < horizon]:
                    del minutes[old]
            counts.update(items)

    def set_coordinated_share(self, watchlist: str, share: float) -> None:
        self._coordinated_share[watchlist] = share

    def set_swarms(self, per_watchlist: Mapping[str, list[dict[str, Any]]]) -> None:
        self._swarms = {w: items[:LISTED] for w, items in per_watchlist.items()}

    def set_campaigns(self, per_watchlist: Mapping[str, list[dict[str, Any]]]) -> None:
        self._campaigns = {w: items[:LISTED] for w, items in per_watchlist.items()}

    # -- output ---------------------------------------------------------------------------------------

    def new_hashtags(self, watchlist: str, now_ts: float) -> list[dict[str, Any]]:
        return [
            {"tag": item, **figures}
            for item, figures in self._new(self._tags.get(watchlist, {}), now_ts, MIN_TAG_USES)
        ]

    def new_terms(self, watchlist: str, now_ts: float) -> list[dict[str, Any]]:
        return [
            {"term": item, **figures}
            for item, figures in self._new(self._terms.get(watchlist, {}), now_ts, MIN_TERM_USES)
        ]

    def _new(
        self, minutes: dict[int, Counter[str]], now_ts: float, min_uses: int
    ) -> list[tuple[str, dict[str, Any]]]:
        now_minute = int(now_ts // 60)
        window_min = max(1, int(self.window_s // 60))
        recent: Counter[str] = Counter()
        before: Counter[str] = Counter()
        for minute, counts in minutes.items():
            if minute > now_minute - window_min:
                recent.update(counts)
            elif minute > now_minute - int(self.history_s // 60):
                before.update(counts)
        before_windows = max(1.0, (len(minutes) - window_min) / window_min)
        found = [
            (item, {"uses": uses, "uses_before_per_window": round(before[item] / before_windows, 1)})
            # Most used first; between equals the longer (more telling) term, then alphabetically: the
            # same answer on every run.
            for item, uses in sorted(recent.items(), key=lambda pair: (-pair[1], -len(pair[0]), pair[0]))
            if uses >= min_uses and before[item] / before_windows <= uses / 5
        ]
        return found[:LISTED]

    def why(
        self, watchlist: str, now_ts: float, negative_posts: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        tags = self.new_hashtags(watchlist, now_ts)
        terms = self.new_terms(watchlist, now_ts)
        posts = [
            {k: post.get(k) for k in ("handle", "followers", "press", "text", "url")}
            for post in (negative_posts or [])[:LISTED]
        ]
        share = self._coordinated_share.get(watchlist)
        swarms = self._swarms.get(watchlist, [])
        campaigns = self._campaigns.get(watchlist, [])
        parts = []
        if tags:
            parts.append("new " + ", ".join(f"#{t['tag']} ({t['uses']})" for t in tags))
        if terms:
            parts.append("words " + ", ".join(f"{t['term']} ({t['uses']})" for t in terms))
        if posts:
            loudest = posts[0]
            parts.append(
                f"most reached negative @{loudest['handle']} ({int(loudest['followers'] or 0):,} followers)"
            )
        if share:
            parts.append(f"{share:.0%} coordinated")
        if swarms:
            parts.append("swarm " + " ".join(f"#{tag}" for tag in swarms[0].get("tags", [])[:3]))
        if campaigns:
            parts.append(f"campaign of {campaigns[0].get('accounts')} accounts")
        return {
            "text": "; ".join(parts) or "no driver found yet",
            "new_hashtags": tags,
            "new_terms": terms,
            "negative_posts": posts,
            "coordinated_share": round(share, 3) if share is not None else None,
            "swarms": swarms,
            "campaigns": campaigns,
        }
