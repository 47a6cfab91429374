"""Coordinated behaviour: bursts of near-duplicate texts from many accounts, and accounts that look automated.

Each mention's text is normalised (case and accents folded; links, @handles, hashtags, numbers and emoji
removed) and cut into word bigrams; a 32-value MinHash of them, split into 16 LSH bands of 2 rows, finds
earlier texts of the window that may be near-duplicates, and the estimated Jaccard similarity against a
cluster's first and latest texts decides (`similarity`, default 0.5). A text the window already has word for
word is found by its words, unhashed; the signatures of a batch's other texts are computed in one numpy pass
(`signatures`), so a mention costs a few microseconds of hashing rather than a numpy call of its own.

A cluster is *coordinated* once, within `window_s`, at least `min_accounts` distinct accounts posted into it
and the accounts look throwaway: at least `small_share` of them have tiny audiences (<=
`small_audience_followers`), or they post the text again and again (on average `repeat_ratio` posts per
account) while at least half have tiny audiences. Organic pile-ons ("RT if you're also affected...") repeat a
text across many people too; the audience test is what keeps them organic. The flag is sticky: a cluster stays
coordinated for the rest of its life.

An account shows signs of automation when its audience is tiny and it posted at least
`automation_min_posts` times at `automation_min_posts_per_min` or more within the window.

Bounds: clusters expire `window_s` after their last post and are capped at `max_clusters` (least recently
active dropped first); a cluster keeps at most `max_accounts` accounts, `max_texts` distinct texts and
`max_ids` mention ids; accounts are tracked only when their audience is tiny, at most `max_tracked_accounts`,
each with its last `automation_min_posts * 4` post times. Finished coordinated clusters stay listed for
`keep_finished_s` (at most `max_reported`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from functools import partial
from itertools import islice, pairwise

import msgspec
import numpy as np

from services.settings import Settings
from services.understanding.enrich import EnrichedMention

PERMUTATIONS = 32
BANDS = 16
ROWS = PERMUTATIONS // BANDS
_rng = np.random.default_rng(20250314)
_MUL = _rng.integers(1, 2**63, size=PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
_ADD = _rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
_SHIFT = np.uint64(32)
_BAND_SALT = _rng.integers(0, 2**63, size=BANDS, dtype=np.uint64)
assert ROWS == 2, "signatures packs two 32-bit values into one int per band"

_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE_OR_TAG = re.compile(r"[@#][\w.-]+", re.UNICODE)
#: Combining marks (accents) left by NFKD: removing them folds 'é' to 'e' (as
# `services.understanding.text.fold`, faster).
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)

#: PERMUTATIONS values below 2**32 packed in one int, value i in bits 32*i to 32*i+31 (one XOR compares them
#: all, `similarity`).
Signature = int
#: The lowest bit of each of the PERMUTATIONS 32-bit lanes of a signature.
_LANE_LOW_BITS = sum(1 << (32 * i) for i in range(PERMUTATIONS))


def normalise(text: str) -> str:
    """The words a copy-paste keeps: 'Boycott @Acme NOW!! 😡 https://x.y #Acme 20%' -> 'boycott now'."""
    if "://" in text or "w." in text or "W." in text:  # what a link needs (a cheap test first)
        text = _LINK.sub(" ", text)
    if "@" in text or "#" in text:
        text = _HANDLE_OR_TAG.sub(" ", text)
    if text.isascii():
        return " ".join(_WORD.findall(text.lower()))
    return " ".join(_WORD.findall(_COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))))


def shingles(normalised: str) -> list[int]:
    """Hashes (crc32, stable across processes) of the word bigrams; the lone word of a one-word text."""
    words = normalised.split()
    if len(words) < 2:
        return [zlib.crc32(normalised.encode())]
    return [zlib.crc32(f"{a} {b}".encode()) for a, b in pairwise(words)]


#: Texts hashed per numpy pass by `signatures` (bounds its temporary arrays to a few MiB).
_CHUNK_TEXTS = 1024


def signatures(normalised: list[str]) -> list[tuple[Signature, list[int]]]:
    """MinHash signature and LSH band keys of each text. The signature: for each of the 32 multiply-shift
    hash functions, the smallest value over the text's bigrams. A band key: the band's two values in one
    int, salted by the band's number (looked up within a scope, `_bands`). All the texts' shingles go through
    numpy at once, so a batch pays the array overhead once rather than per text; the results are plain
    ints (the signature's 32 values packed in one), which later comparisons of one signature with a few
    others read faster than small arrays or tuples."""
    result: list[tuple[Signature, list[int]]] = []
    for first in range(0, len(normalised), _CHUNK_TEXTS):
        values: list[int] = []
        starts: list[int] = []
        for text in normalised[first : first + _CHUNK_TEXTS]:
            starts.append(len(values))
            values.extend(set(shingles(text)))
        hashed = (np.array(values, dtype=np.uint64)[:, None] * _MUL + _ADD) >> _SHIFT
        sigs = np.minimum.reduceat(hashed, starts, axis=0)
        pairs = sigs.reshape(len(sigs), BANDS, ROWS)
        keys = ((pairs[:, :, 0] << _SHIFT) | pairs[:, :, 1]) ^ _BAND_SALT
        packed = sigs.astype("<u4").tobytes()
        row = 4 * PERMUTATIONS
        ints = [int.from_bytes(packed[i : i + row], "little") for i in range(0, len(packed), row)]
        result.extend(zip(ints, keys.tolist(), strict=True))
    return result


def signature(normalised: str) -> Signature:
    """MinHash of one text's bigram set (`signatures` of many at once is cheaper per text)."""
    return signatures([normalised])[0][0]


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two bigram sets: the share of the 32 values that are equal. In
    `a ^ b` an equal value is a lane of zeros; OR-ing each lane's bits down into its lowest bit leaves that
    bit 0 exactly for those (bits carried in from the next lane only reach the upper half of a lane, which
    the later, shorter shifts never read)."""
    x = a ^ b
    x |= x >> 16
    x |= x >> 8
    x |= x >> 4
    x |= x >> 2
    x |= x >> 1
    return (PERMUTATIONS - (x & _LANE_LOW_BITS).bit_count()) / PERMUTATIONS


class CoordinatedCluster(msgspec.Struct, kw_only=True):
    """A burst of near-duplicates, as the wall and alerts see it (`id` stays the same while it lives)."""

    id: str
    accounts: list[str]
    account_count: int
    small_audience_accounts: int
    automated_accounts: int
    template: str
    example: str
    first_seen_ts: float
    last_seen_ts: float
    span_s: float
    mentions: int
    reach: int
    watchlists: dict[str, int]


class AutomatedAccount(msgspec.Struct, kw_only=True):
    handle: str
    followers: int
    posts: int
    posts_per_min: float
    last_seen_ts: float


class CoordinationSnapshot(msgspec.Struct, kw_only=True):
    clusters: list[CoordinatedCluster]
    automated: list[AutomatedAccount]
    #: Mentions in coordinated clusters (within the window and the kept finished ones).
    coordinated_mentions: int


class _Cluster:
    __slots__ = (
        "accounts",
        "coordinated",
        "example",
        "first_ts",
        "id",
        "ids",
        "keys",
        "last_ts",
        "mentions",
        "posts",
        "scope",
        "sigs",
        "small",
        "texts",
        "watchlists",
    )

    def __init__(
        self, cluster_id: str, scope: str, sig: Signature, keys: list[int], ts: float, example: str
    ) -> None:
        self.id = cluster_id
        #: The watchlists (sorted, comma-joined) of its mentions: clusters never mix scopes.
        self.scope = scope
        #: Signatures of a few different wordings seen in the cluster (the first one first).
        self.sigs = [sig]
        #: The band keys (in `_bands[scope]`) that point to it, in the order they were added (a dict as an
        #: ordered set).
        self.keys = dict.fromkeys(keys)
        self.first_ts = ts
        self.last_ts = ts
        self.example = example
        self.mentions = 0
        self.coordinated = False
        #: handle -> [posts, followers, last post time], least recently active first; `posts` and `small`
        #: (accounts with tiny audiences) sum over it. An OrderedDict: its first item is found at once,
        #: while a dict that had items moved to its end skips the holes they left at its start.
        self.accounts: OrderedDict[str, list[float]] = OrderedDict()
        self.posts = 0
        self.small = 0
        self.texts: Counter[str] = Counter()
        self.watchlists: Counter[str] = Counter()
        self.ids: list[str] = []


class CoordinationDetector:
    def __init__(
        self,
        *,
        window_s: float = 600.0,
        min_accounts: int = 8,
        similarity: float = 0.5,
        small_audience_followers: int = 25,
        small_share: float = 0.8,
        repeat_ratio: float = 1.5,
        automation_min_posts: int = 3,
        automation_min_posts_per_min: float = 2.0,
        max_clusters: int = 30_000,
        max_accounts: int = 500,
        max_texts: int = 50,
        max_wordings: int = 4,
        max_ids: int = 5_000,
        max_tracked_accounts: int = 50_000,
        keep_finished_s: float = 3600.0,
        max_reported: int = 100,
    ) -> None:
        self.window_s = window_s
        self.min_accounts = min_accounts
        self.similarity = similarity
        self.small_audience_followers = small_audience_followers
        self.small_share = small_share
        self.repeat_ratio = repeat_ratio
        self.automation_min_posts = automation_min_posts
        self.automation_min_posts_per_min = automation_min_posts_per_min
        self.max_clusters = max_clusters
        self.max_accounts = max_accounts
        self.max_texts = max_texts
        self.max_wordings = max_wordings
        self.max_ids = max_ids
        self.max_tracked_accounts = max_tracked_accounts
        self.keep_finished_s = keep_finished_s
        self.max_reported = max_reported
        self.now_ts = 0.0
        #: Live clusters, least recently active first.
        self._clusters: OrderedDict[str, _Cluster] = OrderedDict()
        #: scope -> LSH band key -> cluster id.
        self._bands: dict[str, dict[int, str]] = {}
        #: "watchlists\x1fnormalised text" -> cluster id, for the texts a cluster keeps.
        self._exact: dict[str, str] = {}
        #: Coordinated clusters that went quiet, kept for the room (oldest first).
        self._finished: dict[str, CoordinatedCluster] = {}
        #: mention id -> coordinated cluster id.
        self._coordinated_ids: dict[str, str] = {}
        self._coordinated_live: set[str] = set()
        #: Tiny-audience accounts: handle -> (followers, recent post times).
        self._accounts: OrderedDict[str, tuple[int, deque[float]]] = OrderedDict()
        self._serial = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> CoordinationDetector:
        return cls(
            window_s=settings.coordination_window_s,
            min_accounts=settings.coordination_min_accounts,
            similarity=settings.coordination_similarity,
            small_audience_followers=settings.coordination_small_audience_followers,
        )

    # -- input ----------------------------------------------------------------------------------------

    def observe(self, batch: Iterable[EnrichedMention]) -> list[str]:
        """Fold a batch in; return the ids of mentions that became coordinated with it, earlier ones of
        the window included (a cluster is recognised only once enough accounts joined it)."""
        newly: list[str] = []
        items = list(batch)
        texts = [normalise(item.mention.text) for item in items]
        scopes = [",".join(sorted(item.watchlists)) for item in items]
        hashed = self._hash_new(texts, scopes)
        for item, text, scope in zip(items, texts, scopes, strict=True):
            mention = item.mention
            ts = mention.created_ts
            if ts > self.now_ts:
                self.now_ts = ts
            author = mention.author
            self._track_account(author.handle, author.followers, ts)
            if not text:
                continue
            exact = f"{scope}\x1f{text}"
            cluster = self._clusters.get(self._exact.get(exact, ""))
            if cluster is None:
                if text not in hashed:  # known when the batch began, forgotten since
                    hashed.update(self._hash_new([text], [""]))
                sig, keys = hashed[text]
                cluster = self._assign(text, scope, ts, mention.text, sig, keys)
            else:  # the same words again: no need to hash them
                self._clusters.move_to_end(cluster.id)
            cluster.mentions += 1
            if ts > cluster.last_ts:
                cluster.last_ts = ts
            if ts < cluster.first_ts:
                cluster.first_ts = ts
            self._add_account(cluster, author.handle, author.followers, ts)
            if text in cluster.texts or len(cluster.texts) < self.max_texts:
                cluster.texts[text] += 1
                self._exact[exact] = cluster.id
            for watchlist_id in item.watchlists:
                cluster.watchlists[watchlist_id] += 1
            if len(cluster.ids) < self.max_ids:  # ids beyond the cap are told by author and text
                cluster.ids.append(mention.id)
                if cluster.coordinated:
                    self._mark(cluster, mention.id, newly)
            elif cluster.coordinated:
                newly.append(mention.id)
            if not cluster.coordinated and self._looks_coordinated(cluster):
                cluster.coordinated = True
                self._coordinated_live.add(cluster.id)
                for mention_id in cluster.ids:
                    self._mark(cluster, mention_id, newly)
        self._expire(self.now_ts)
        return newly

    def _hash_new(self, texts: list[str], scopes: list[str]) -> dict[str, tuple[Signature, list[int]]]:
        """Signature and band keys of each distinct text that its scope does not know word for word."""
        exact = self._exact
        new = list(
            dict.fromkeys(
                text
                for text, scope in zip(texts, scopes, strict=True)
                if text and f"{scope}\x1f{text}" not in exact
            )
        )
        if not new:
            return {}
        return dict(zip(new, signatures(new), strict=True))

    def _mark(self, cluster: _Cluster, mention_id: str, newly: list[str]) -> None:
        if mention_id not in self._coordinated_ids:
            self._coordinated_ids[mention_id] = cluster.id
            newly.append(mention_id)

    def _add_account(self, cluster: _Cluster, handle: str, followers: int, ts: float) -> None:
        accounts = cluster.accounts
        account = accounts.get(handle)
        if account is None:
            if len(accounts) >= self.max_accounts:
                return
            account = accounts[handle] = [0, followers, ts]
            cluster.small += followers <= self.small_audience_followers
        else:
            accounts.move_to_end(handle)
        account[0] += 1
        account[2] = max(account[2], ts)
        cluster.posts += 1

    def _assign(
        self, text: str, scope: str, ts: float, raw: str, sig: Signature, keys: list[int]
    ) -> _Cluster:
        """The live cluster of the same watchlists whose wordings `text` resembles, or a new one; clusters
        that `text` resembles both are merged into the older one (so variants do not split a campaign)."""
        bands = self._bands.get(scope, {})
        matches: list[tuple[float, _Cluster]] = []
        for cluster_id in set(map(bands.get, keys)):  # (the matches are sorted below)
            candidate = self._clusters.get(cluster_id) if cluster_id is not None else None
            if candidate is None:
                continue
            score = max([similarity(sig, wording) for wording in candidate.sigs])
            if score >= self.similarity:
                matches.append((score, candidate))
        if not matches:
            digest = hashlib.blake2b(f"{scope}|{text}|{int(ts)}".encode(), digest_size=5).hexdigest()
            cluster = _Cluster(f"co-{digest}", scope, sig, keys, ts, raw)
            self._clusters[cluster.id] = cluster
            while len(self._clusters) > self.max_clusters:
                self._drop(next(iter(self._clusters.values())))
        else:
            matches.sort(key=lambda match: (match[1].first_ts, match[1].id))
            cluster = matches[0][1]
            for _, other in matches[1:]:
                self._merge(cluster, other)
            if max(score for score, _ in matches) < 0.8 and len(cluster.sigs) < self.max_wordings:
                cluster.sigs.append(sig)
            self._add_keys(cluster, keys)
            self._clusters.move_to_end(cluster.id)  # most recently active last
        # (dropping a cluster may have removed the scope's bands)
        self._bands.setdefault(scope, {}).update(dict.fromkeys(keys, cluster.id))
        return cluster

    def _add_keys(self, cluster: _Cluster, keys: Iterable[int]) -> None:
        """Remember which band keys point to the cluster (the latest `BANDS * max_wordings` of them)."""
        known = cluster.keys
        known.update(dict.fromkeys(keys))  # a known key keeps its place
        excess = len(known) - BANDS * self.max_wordings
        if excess > 0:
            bands = self._bands.get(cluster.scope, {})
            for key in list(islice(known, excess)):
                if bands.get(key) == cluster.id:
                    del bands[key]
                del known[key]

    def _forget_texts(self, cluster: _Cluster) -> None:
        for text in cluster.texts:
            exact = f"{cluster.scope}\x1f{text}"
            if self._exact.get(exact) == cluster.id:
                del self._exact[exact]

    def _merge(self, into: _Cluster, other: _Cluster) -> None:
        del self._clusters[other.id]
        self._coordinated_live.discard(other.id)
        bands = self._bands.get(other.scope, {})  # the same scope as `into`'s
        for key in other.keys:
            if bands.get(key) == other.id:
                bands[key] = into.id
        self._add_keys(into, other.keys)
        into.sigs.extend(other.sigs[: self.max_wordings - len(into.sigs)])
        into.first_ts = min(into.first_ts, other.first_ts)
        into.last_ts = max(into.last_ts, other.last_ts)
        into.mentions += other.mentions
        for handle, (posts, followers, last_ts) in other.accounts.items():
            for _ in range(int(posts)):
                self._add_account(into, handle, int(followers), last_ts)
        self._forget_texts(other)
        self._forget_texts(into)
        into.texts.update(other.texts)
        if len(into.texts) > self.max_texts:
            into.texts = Counter(dict(into.texts.most_common(self.max_texts)))
        for text in into.texts:
            self._exact[f"{into.scope}\x1f{text}"] = into.id
        into.watchlists.update(other.watchlists)
        ids = into.ids + other.ids
        for index, mention_id in enumerate(ids):
            if mention_id in self._coordinated_ids:
                if index < self.max_ids:
                    self._coordinated_ids[mention_id] = into.id
                else:
                    del self._coordinated_ids[mention_id]
        into.ids = ids[: self.max_ids]
        if other.coordinated and not into.coordinated:
            into.coordinated = True
            self._coordinated_live.add(into.id)

    def _track_account(self, handle: str, followers: int, ts: float) -> None:
        if followers > self.small_audience_followers:
            return
        accounts = self._accounts
        entry = accounts.get(handle)
        times: deque[float]
        if entry is None:
            times = deque(maxlen=self.automation_min_posts * 4)
        else:
            times = entry[1]
            accounts.move_to_end(handle)  # most recently active last
        times.append(ts)
        accounts[handle] = (followers, times)
        while len(self._accounts) > self.max_tracked_accounts:
            del self._accounts[next(iter(self._accounts))]

    # -- judgement --------------------------------------------------------------------------------------

    def _looks_coordinated(self, cluster: _Cluster) -> bool:
        """Enough accounts within the window, and they look throwaway (see the module docstring)."""
        accounts = cluster.accounts
        if len(accounts) < self.min_accounts:
            return False
        horizon = cluster.last_ts - self.window_s
        while accounts:  # forget accounts that went quiet: the test is about the window
            handle, (posts, followers, last_ts) = next(iter(accounts.items()))
            if last_ts >= horizon:
                break
            del accounts[handle]
            cluster.posts -= int(posts)
            cluster.small -= followers <= self.small_audience_followers
        count = len(accounts)
        if count < self.min_accounts:
            return False
        if cluster.small >= self.small_share * count:
            return True
        return cluster.posts >= self.repeat_ratio * count and cluster.small >= 0.5 * count

    def _posts_per_min(self, times: deque[float], now_ts: float) -> tuple[int, float]:
        recent = [t for t in times if t > now_ts - self.window_s]
        if not recent:
            return 0, 0.0
        span_min = max(1.0, (max(recent) - min(recent)) / 60.0)
        return len(recent), len(recent) / span_min

    def is_automated(self, handle: str, now_ts: float | None = None) -> bool:
        entry = self._accounts.get(handle)
        if entry is None:
            return False
        posts, rate = self._posts_per_min(entry[1], self.now_ts if now_ts is None else now_ts)
        return posts >= self.automation_min_posts and rate >= self.automation_min_posts_per_min

    def is_coordinated(
        self, mention_id: str | None = None, *, author: str | None = None, text: str | None = None
    ) -> bool:
        """Whether a mention belongs to a coordinated cluster: by its id, or by its author and text."""
        if mention_id is not None and mention_id in self._coordinated_ids:
            return True
        if author is None or text is None:
            return False
        normalised = normalise(text)
        if not normalised:
            return False
        sig = signature(normalised)
        for cluster_id in sorted(self._coordinated_live):
            cluster = self._clusters[cluster_id]
            if (
                author in cluster.accounts
                and max(map(partial(similarity, sig), cluster.sigs)) >= self.similarity
            ):
                return True
        return False

    # -- state ----------------------------------------------------------------------------------------

    def _drop(self, cluster: _Cluster) -> None:
        del self._clusters[cluster.id]
        self._forget_texts(cluster)
        bands = self._bands.get(cluster.scope)
        if bands is not None:
            for key in cluster.keys:
                if bands.get(key) == cluster.id:
                    del bands[key]
            if not bands:
                del self._bands[cluster.scope]
        if cluster.coordinated:
            self._coordinated_live.discard(cluster.id)
            self._finished[cluster.id] = self._report(cluster)
            while len(self._finished) > self.max_reported:
                del self._finished[next(iter(self._finished))]
        for mention_id in cluster.ids:
            if self._coordinated_ids.get(mention_id) == cluster.id:
                del self._coordinated_ids[mention_id]

    def _expire(self, now_ts: float) -> None:
        horizon = now_ts - self.window_s
        while self._clusters:
            oldest = next(iter(self._clusters.values()))
            if oldest.last_ts >= horizon:
                break
            self._drop(oldest)
        for cluster_id in [
            c for c, report in self._finished.items() if report.last_seen_ts < now_ts - self.keep_finished_s
        ]:
            del self._finished[cluster_id]
        while self._accounts:
            handle = next(iter(self._accounts))
            if self._accounts[handle][1][-1] >= horizon:
                break
            del self._accounts[handle]

    def _report(self, cluster: _Cluster) -> CoordinatedCluster:
        accounts = sorted(cluster.accounts.items(), key=lambda item: (-item[1][0], item[0]))
        automated = sum(1 for handle, _ in accounts if self.is_automated(handle))
        template = (
            min(cluster.texts.items(), key=lambda item: (-item[1], item[0]))[0] if cluster.texts else ""
        )
        return CoordinatedCluster(
            id=cluster.id,
            accounts=[handle for handle, _ in accounts[:50]],
            account_count=len(accounts),
            small_audience_accounts=cluster.small,
            automated_accounts=automated,
            template=template,
            example=cluster.example,
            first_seen_ts=cluster.first_ts,
            last_seen_ts=cluster.last_ts,
            span_s=round(cluster.last_ts - cluster.first_ts, 3),
            mentions=cluster.mentions,
            reach=int(sum(followers for _, (_, followers, _) in accounts)),
            watchlists=dict(cluster.watchlists.most_common()),
        )

    def snapshot(self, now_ts: float | None = None) -> CoordinationSnapshot:
        """Coordinated clusters (live ones first, most accounts first) and automated accounts, JSON-ready."""
        now = self.now_ts if now_ts is None else now_ts
        self._expire(now)
        live = [self._report(self._clusters[cluster_id]) for cluster_id in self._coordinated_live]
        live.sort(key=lambda c: (-c.account_count, c.id))
        finished = sorted(self._finished.values(), key=lambda c: -c.last_seen_ts)
        automated = []
        for handle, (followers, times) in self._accounts.items():
            posts, rate = self._posts_per_min(times, now)
            if posts >= self.automation_min_posts and rate >= self.automation_min_posts_per_min:
                automated.append(
                    AutomatedAccount(
                        handle=handle,
                        followers=followers,
                        posts=posts,
                        posts_per_min=round(rate, 2),
                        last_seen_ts=times[-1],
                    )
                )
        automated.sort(key=lambda a: (-a.posts_per_min, a.handle))
        clusters = live + finished
        return CoordinationSnapshot(
            clusters=clusters,
            automated=automated[:200],
            coordinated_mentions=sum(c.mentions for c in clusters),
        )

    @property
    def tracked(self) -> dict[str, int]:
        """Sizes of the kept state, to check its bounds."""
        return {
            "clusters": len(self._clusters),
            "bands": sum(map(len, self._bands.values())),
            "coordinated_ids": len(self._coordinated_ids),
            "accounts": len(self._accounts),
            "finished": len(self._finished),
            "exact_texts": len(self._exact),
        }
