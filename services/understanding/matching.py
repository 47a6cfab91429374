"""Which watchlists a mention is about, for every watchlist at once.

Every watchlist's effective query (services/understanding/watchlists.py) is compiled once into a predicate,
and indexed by its anchors (services/understanding/query.py `anchors`: terms at least one of which must be
present for the query to be true): word -> watchlists, word prefix -> watchlists, hashtag, handle, site and
language -> watchlists. A mention looks up its own words, prefixes of its words, hashtags, handles, link
domains and language, and evaluates only the few watchlists found there, plus the queries that have no anchor
(such as `NOT spam`). Each lookup is one set intersection of the mention's distinct words (hashtags...) with
the index's keys, for all watchlists at once. An anchor that decides alone (`query.sufficient_anchors`: a word
of an OR of words, hashtags and handles, as most watchlists are) matches its watchlists without evaluating
their query. So 200 watchlists cost little more than one. Matching is case- and accent-insensitive on word
boundaries.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache, cached_property, lru_cache, partial
from itertools import chain
from typing import Any, TypeVar
from urllib.parse import urlsplit

from services.ingest.records import Mention
from services.understanding.language import normalise_hint
from services.understanding.query import (
    UNKNOWN_LANG,
    And,
    Author,
    Handle,
    Hashtag,
    Lang,
    Near,
    NearSide,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    QuerySyntaxError,
    Site,
    Word,
    anchors,
    positive_terms,
    render,
    sufficient_anchors,
)
from services.understanding.text import fold, tokens
from services.understanding.watchlists import Watchlist, effective_query

log = logging.getLogger(__name__)

Span = tuple[int, int]  # first and last word index of a term's occurrence


def _lower(text: str) -> str:
    return text.lower() if text.isascii() else fold(text)


#: The common shape of a link: a scheme, '//', a host of ASCII letters, digits, dots and hyphens, an optional
#: numeric port, then '/', '?', '#' or the end. Its `urlsplit(link).hostname` is that host lower-cased (no
#: userinfo, brackets, percent sign, whitespace or control character to interpret); `link_host` reads it
#: with this regex, 10 times faster than urlsplit on links it has not seen.
_PLAIN_LINK = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://([A-Za-z0-9.\-]+)(?::[0-9]*)?(?:[/?#]|\Z)")
#: Hosts whose parent domains `_domains_of_host` keeps (links of one site share their host).
HOSTS_KEPT = 4096


def link_host(link: str) -> str | None:
    """`urlsplit(link).hostname`: the host, lower-cased; None when there is none or the link does not
    parse."""
    plain = _PLAIN_LINK.match(link)
    if plain is not None:
        return plain.group(1).lower()
    try:
        return urlsplit(link).hostname
    except ValueError:
        return None


@lru_cache(maxsize=HOSTS_KEPT)
def _domains_of_host(host: str) -> tuple[str, ...]:
    parts = host.rstrip(".").split(".")
    return tuple(".".join(parts[i:]) for i in range(len(parts) - 1))


def domains_of(links: Iterable[str]) -> set[str]:
    """The hosts of these links with each parent domain: 'a.b.com' -> a.b.com, b.com."""
    found: set[str] = set()
    for link in links:
        host = link_host(link)
        if host:
            found.update(_domains_of_host(host))
    return found


def link_domains(mention: Mention) -> set[str]:
    """The hosts of the mention's links and url with each parent domain (`domains_of`)."""
    return domains_of(chain(mention.links or (), (mention.url,) if mention.url else ()))


def folded_hashtags(tags: Iterable[str]) -> set[str]:
    """Hashtags folded (case and accents), without '#'."""
    return {_lower(tag.lstrip("#")) for tag in tags}


def hashtags_of(mention: Mention) -> set[str]:
    return folded_hashtags(mention.hashtags or ())


def lower_handles(author: str, mentioned: Iterable[str]) -> set[str]:
    """The author's handle and the @mentioned ones, lower-case, without '@'."""
    return {h.lstrip("@").lower() for h in (author, *mentioned)}


def handles_of(mention: Mention) -> set[str]:
    """The author's handle and the @mentioned ones, lower-case, without '@'."""
    return lower_handles(mention.author.handle, mention.mentions or ())


def language_code(lang: str | None) -> str:
    """An ISO 639-1 language ('fr-FR' -> 'fr') from a language tag, or UNKNOWN_LANG."""
    return lang.lower() if lang and len(lang) == 2 else normalise_hint(lang) or UNKNOWN_LANG


def language_of(mention: Mention) -> str:
    """The mention's ISO 639-1 language ('fr-FR' -> 'fr'), or UNKNOWN_LANG."""
    return language_code(mention.lang)


class Facts:
    """What a query can look at in one mention: its folded words with their positions, hashtags, handles,
    author, language and link domains, each worked out on first use. `memo` keeps what one query worked
    out (where a prefix or phrase occurs, a NEAR's answer) for the other watchlists that ask the same."""

    def __init__(
        self,
        mention: Mention,
        words: list[str],
        hashtags: set[str],
        handles: set[str],
        domains: set[str] | None = None,
        present: set[str] | None = None,
    ) -> None:
        self.mention = mention
        self.words = words
        self.hashtags = hashtags
        self.handles = handles
        self.memo: dict[str, Any] = {}
        if domains is not None:
            self.__dict__["domains"] = domains
        if present is not None:
            self.__dict__["present"] = present

    @classmethod
    def of(cls, mention: Mention, words: list[str] | None = None) -> Facts:
        words = tokens(mention.text) if words is None else words
        return cls(mention, words, hashtags_of(mention), handles_of(mention))

    @cached_property
    def present(self) -> set[str]:
        """The distinct words."""
        return set(self.words)

    @cached_property
    def positions(self) -> dict[str, list[int]]:
        """Each distinct word and where it occurs (word indices)."""
        positions: dict[str, list[int]] = {}
        for index, word in enumerate(self.words):
            seen = positions.get(word)
            if seen is None:
                positions[word] = [index]
            else:
                seen.append(index)
        return positions

    @cached_property
    def sorted_words(self) -> list[str]:
        """The distinct words in sorted order: the words starting with a prefix are one run of it."""
        return sorted(self.positions)

    def starting_with(self, stem: str) -> list[int]:
        """Where words starting with `stem` occur, in text order (a binary search, not a scan)."""
        words, positions = self.sorted_words, self.positions
        found: list[int] = []
        for index in range(bisect_left(words, stem), len(words)):
            word = words[index]
            if not word.startswith(stem):
                break
            found.extend(positions[word])
        found.sort()
        return found

    @cached_property
    def author(self) -> str:
        return self.mention.author.handle.lstrip("@").lower()

    @cached_property
    def lang(self) -> str:
        return language_of(self.mention)

    @cached_property
    def domains(self) -> set[str]:
        return link_domains(self.mention)


T = TypeVar("T")
Predicate = Callable[[Facts], bool]
Spans = Callable[[Facts], list[Span]]


def _memoised(key: str, compute: Callable[[Facts], T]) -> Callable[[Facts], T]:
    """`compute`, worked out once per mention however many watchlists ask (same `key`, same answer)."""

    def memoised(facts: Facts) -> T:
        memo = facts.memo
        if key in memo:
            found: T = memo[key]
            return found
        value = memo[key] = compute(facts)
        return value

    return memoised


def _spans(term: NearSide) -> Spans:
    """Where a word, prefix or phrase (or any of an OR of them) occurs in the mention's words, sorted by
    start."""
    if isinstance(term, Or):
        each = [_spans(operand) for operand in term.operands if isinstance(operand, Word | Prefix | Phrase)]
        return lambda facts: sorted(span for spans in each for span in spans(facts))
    if isinstance(term, Word):
        text = term.text
        return lambda facts: [(i, i) for i in facts.positions.get(text, ())]
    if isinstance(term, Prefix):
        stem = term.stem
        return _memoised(render(term), lambda facts: [(i, i) for i in facts.starting_with(stem)])
    first, target, last = term.words[0], list(term.words), len(term.words) - 1

    def phrase(facts: Facts) -> list[Span]:
        words = facts.words
        return [(i, i + last) for i in facts.positions.get(first, ()) if words[i : i + last + 1] == target]

    return _memoised(render(term), phrase)


def follows_within(before: list[Span], after: list[Span], distance: int) -> bool:
    """Whether a span of `after` starts with at most `distance` words between it and the end of a span
    of `before` (`after` sorted by start). One merge of the sorted ends of `before` with the starts of
    `after`: linear in the number of occurrences, never every pair of them."""
    ends = sorted(end for _, end in before)
    count = len(ends)
    index, last_end = 0, -1  # the last end before the current start
    for start, _ in after:
        while index < count and ends[index] < start:
            last_end = ends[index]
            index += 1
        if last_end >= 0 and start - last_end - 1 <= distance:
            return True
    return False


def _near(node: Near) -> Predicate:
    left, right, distance = _spans(node.left), _spans(node.right), node.distance

    def near(facts: Facts) -> bool:
        first = left(facts)
        if not first:
            return False
        second = right(facts)
        return follows_within(first, second, distance) or follows_within(second, first, distance)

    return _memoised(render(node), near)


def compile_query(node: Node) -> Predicate:
    """A function telling whether a mention's `Facts` satisfy the query."""
    match node:
        case Word(text):
            return lambda facts: text in facts.present
        case Prefix() | Phrase():
            spans = _spans(node)
            return lambda facts: bool(spans(facts))
        case Hashtag(tag):
            return lambda facts: tag in facts.hashtags
        case Handle(handle):
            return lambda facts: handle in facts.handles
        case Author(handle):
            return lambda facts: facts.author == handle
        case Lang(code):
            return lambda facts: facts.lang == code
        case Site(domain):
            return lambda facts: domain in facts.domains
        case Near():
            return _near(node)
        case Not(operand):
            inner = compile_query(operand)
            return lambda facts: not inner(facts)
        case And(operands):
            return _all(tuple(map(compile_query, operands)))
        case Or(operands):
            return _any(operands)
    raise TypeError(f"expected a query node, got {type(node).__name__}")


def _all(tests: tuple[Predicate, ...]) -> Predicate:
    if len(tests) == 2:
        first, second = tests
        return lambda facts: first(facts) and second(facts)
    return lambda facts: all(test(facts) for test in tests)


def _any(operands: tuple[Node, ...]) -> Predicate:
    """Words, hashtags and handles of an OR are looked up as sets (one C-level intersection each)."""
    words = frozenset(o.text for o in operands if isinstance(o, Word))
    tags = frozenset(o.tag for o in operands if isinstance(o, Hashtag))
    handles = frozenset(o.handle for o in operands if isinstance(o, Handle))
    tests = [compile_query(o) for o in operands if not isinstance(o, Word | Hashtag | Handle)]
    if words:
        tests.insert(0, lambda facts: not words.isdisjoint(facts.present))
    if tags:
        tests.append(lambda facts: not tags.isdisjoint(facts.hashtags))
    if handles:
        tests.append(lambda facts: not handles.isdisjoint(facts.handles))
    if len(tests) == 1:
        return tests[0]
    some = tuple(tests)
    return lambda facts: any(test(facts) for test in some)


# -- masking ------------------------------------------------------------------------------------------------

_MARKS = "[\u0300-\u036f]*"  # combining accents, for text written in decomposed form
_WORD_START = r"(?<![^\W_])"
_WORD_END = r"(?![^\W_])"


_LATIN_FOLDED = (range(0xA0, 0x250), range(0x1E00, 0x1F00))  # where letters with accents are
#: A text without any of these characters is matched by plain case-insensitive words, a faster regex.
_NEEDS_FOLDING = re.compile("[\u00a0-\u024f\u0300-\u036f\u1e00-\u1eff]")


@cache
def _variants() -> dict[str, str]:
    """For each folded Latin letter, a regex class of every character that folds to it ('e' -> [eEéÉè...])."""
    groups: dict[str, set[str]] = defaultdict(set)
    for code in chain(range(0x20, 0x7F), *_LATIN_FOLDED):
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded != char:
            groups[folded].add(char)
    return {key: "[" + re.escape(key + "".join(sorted(chars))) + "]" for key, chars in groups.items()}


def _folded_pattern(word: str, accents: bool) -> str:
    if not accents:
        return re.escape(word)
    variants = _variants()
    return "".join(variants.get(char, re.escape(char)) + _MARKS for char in word)


def _longest_first(alternatives: Iterable[str]) -> str:
    return "|".join(sorted(alternatives, key=len, reverse=True))


#: Mask regexes kept across matchers: a matcher is rebuilt at every watchlist change, and compiling the
#: regex of a query with accents takes milliseconds.
MASK_PATTERNS_KEPT = 1024


def _mask_alternatives(query: Node, accents: bool) -> tuple[list[str], list[str], list[str]]:
    """The regexes of the query's positive terms: words (phrases, prefixes), hashtags and handles."""
    pattern = partial(_folded_pattern, accents=accents)
    words: list[str] = []
    tags: list[str] = []
    handles: list[str] = []
    for term in positive_terms(query):
        match term:
            case Word(text):
                words.append(pattern(text) + _WORD_END)
            case Phrase(phrase):
                words.append(r"[\W_]+".join(map(pattern, phrase)) + _WORD_END)
            case Prefix(stem):
                words.append(pattern(stem) + r"[^\W_]*")
            case Hashtag(tag):
                tags.append(pattern(tag))
            case Handle(handle):
                handles.append(re.escape(handle))
            # author:, lang: and site: are not in the text
    return words, tags, handles


_TAG_START = r"(?<![\w&])#"
_TAG_END = r"(?!\w)"
_HANDLE_START = r"(?<![\w@])@"
_HANDLE_END = r"(?![\w]|[.-]\w)"


def reference_mask_pattern(query: Node, accents: bool = True) -> re.Pattern[str] | None:
    """The definition of what masking removes: one case-insensitive regex finding the query's positive terms
    in raw text, with any accents unless `accents` is False (for texts without accented letters). Words,
    phrases and prefixes share one word-start check, hashtags one '#', handles one '@'. `mask_pattern` is
    the same regex written so that the engine can skip ahead (tests hold them equal)."""
    words, tags, handles = _mask_alternatives(query, accents)
    parts = [f"{_WORD_START}(?:{_longest_first(words)})"] if words else []
    if tags:
        parts.append(rf"{_TAG_START}(?:{_longest_first(tags)}){_TAG_END}")
    if handles:
        parts.append(rf"{_HANDLE_START}(?:{_longest_first(handles)}){_HANDLE_END}")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


#: No character from here on has a case (planes 2 to 16: ideographs, tags, variation selectors, private use;
#: a test checks it on the running Python's Unicode tables).
CASED_BELOW = 0x20000


@cache
def _cased_range() -> str:
    """Every character below CASED_BELOW, in order: where the characters equal ignoring case are found."""
    return "".join(map(chr, range(CASED_BELOW)))


def _case_insensitive_class(chars: Iterable[str]) -> str:
    """A regex class (no flag) of every character that matches one of `chars` ignoring case (the 'ſ' and 'S'
    of 's', the 'ı' and 'İ' of 'i', the Kelvin sign of 'k'), found by the regex engine itself among all the
    characters that have a case."""
    wanted = "".join(re.escape(char) for char in sorted(set(chars)))
    found = set(re.findall(f"(?i:[{wanted}])", _cased_range())) | set(chars)
    return "[" + "".join(re.escape(char) for char in sorted(found)) + "]"


def _first_chars(alternative: str) -> tuple[str, list[str]]:
    """An alternative's first item (one character, escaped or not, or a class of them, as `_folded_pattern`
    writes it) and the characters it names."""
    if alternative.startswith("\\"):
        return alternative[:2], [alternative[1]]
    if not alternative.startswith("["):
        return alternative[0], [alternative[0]]
    chars: list[str] = []
    index = 1
    while alternative[index] != "]":  # `re.escape` wrote the class: a character, or one escaped
        escaped = alternative[index] == "\\"
        chars.append(alternative[index + escaped])
        index += 1 + escaped
    return alternative[: index + 1], chars


@lru_cache(maxsize=MASK_PATTERNS_KEPT)
def mask_pattern(query: Node, accents: bool = True) -> re.Pattern[str] | None:
    """`reference_mask_pattern`, written so that the regex engine skips ahead to the characters a term may
    start with (its 'charset prefix'), instead of trying every position of the text: a leading class of
    all first characters, then, per alternative in the same order, a look-behind checking the character
    just taken is that alternative's first one (case-insensitively) and the word start before it, then the
    rest of the alternative, case-insensitively. The same matches, several times faster."""
    words, tags, handles = _mask_alternatives(query, accents)
    if not (words or tags or handles):
        return None
    leading: set[str] = set()
    branches: list[str] = []
    for alternative in sorted(words, key=len, reverse=True):
        first, chars = _first_chars(alternative)
        leading.update(chars)
        rest = alternative[len(first) :]
        branches.append(rf"(?<=(?i:{first}))(?<![^\W_][\s\S])(?i:{rest})")
    if tags:
        leading.add("#")
        branches.append(rf"(?<=#)(?<![\w&][\s\S])(?i:(?:{_longest_first(tags)}){_TAG_END})")
    if handles:
        leading.add("@")
        branches.append(rf"(?<=@)(?<![\w@][\s\S])(?i:(?:{_longest_first(handles)}){_HANDLE_END})")
    return re.compile(f"{_case_insensitive_class(leading)}(?:{'|'.join(branches)})")


# -- the matcher --------------------------------------------------------------------------------------------


class CompiledWatchlists:
    """An immutable matcher over a set of watchlists; rebuild it when the set changes. A watchlist whose
    query does not parse (it can only arrive by the config topic, the API refuses it) matches nothing and
    is listed in `invalid` with the reason."""

    def __init__(self, watchlists: Iterable[Watchlist]) -> None:
        self.watchlists = {w.id: w for w in watchlists}
        self.invalid: dict[str, str] = {}
        self._queries: dict[str, Node] = {}
        self._tests: dict[str, Predicate] = {}
        self._always: set[str] = set()
        #: kind -> anchor value -> (watchlists it decides alone, watchlists to evaluate when it is present)
        self._index: dict[str, dict[str, tuple[set[str], set[str]]]] = {
            kind: defaultdict(lambda: (set(), set()))
            for kind in ("word", "prefix", "tag", "handle", "site", "lang")
        }
        self._masks: dict[tuple[str, bool], re.Pattern[str] | None] = {}
        for watchlist in self.watchlists.values():
            try:
                query = effective_query(watchlist)
            except QuerySyntaxError as error:
                self.invalid[watchlist.id] = str(error)
                log.error("watchlist %r matches nothing: its query is invalid: %s", watchlist.id, error)
                continue
            if query is None:
                continue
            self._queries[watchlist.id] = query
            self._tests[watchlist.id] = compile_query(query)
            found = anchors(query)
            if found is None:
                self._always.add(watchlist.id)
            else:
                for kind, value in found:
                    self._index[kind][value][1].add(watchlist.id)
            for kind, value in sufficient_anchors(query):
                self._index[kind][value][0].add(watchlist.id)
        self._by_word = dict(self._index["word"])
        self._by_prefix = dict(self._index["prefix"])
        self._by_tag = dict(self._index["tag"])
        self._by_handle = dict(self._index["handle"])
        self._by_site = dict(self._index["site"])
        self._by_lang = dict(self._index["lang"])
        self._prefix_lengths = sorted({len(stem) for stem in self._by_prefix})

    def __len__(self) -> int:
        return len(self.watchlists)

    def match(self, mention: Mention, words: list[str] | None = None) -> list[str]:
        """Ids of the watchlists the mention is about, sorted; `words` are `tokens(mention.text)`."""
        words = tokens(mention.text) if words is None else words
        present = set(words)
        sure: set[str] = set()
        maybe = set(self._always)
        by_word = self._by_word
        for word in by_word.keys() & present:
            decided, anchored = by_word[word]
            sure |= decided
            maybe |= anchored
        if self._prefix_lengths:
            by_prefix = self._by_prefix
            stems = {word[:length] for length in self._prefix_lengths for word in present}
            for stem in by_prefix.keys() & stems:  # a key equal to word[:n] is a prefix of the word
                decided, anchored = by_prefix[stem]
                sure |= decided
                maybe |= anchored
        hashtags = hashtags_of(mention)
        by_tag = self._by_tag
        for tag in by_tag.keys() & hashtags:
            decided, anchored = by_tag[tag]
            sure |= decided
            maybe |= anchored
        handles = handles_of(mention)
        by_handle = self._by_handle
        for handle in by_handle.keys() & handles:
            decided, anchored = by_handle[handle]
            sure |= decided
            maybe |= anchored
        domains = None
        if self._by_site and (mention.links or mention.url):
            domains = link_domains(mention)
            by_site = self._by_site
            for domain in by_site.keys() & domains:
                decided, anchored = by_site[domain]
                sure |= decided
                maybe |= anchored
        if self._by_lang:
            hit = self._by_lang.get(language_of(mention))
            if hit:
                sure |= hit[0]
                maybe |= hit[1]
        maybe -= sure
        if maybe:
            facts = Facts(mention, words, hashtags, handles, domains, present)
            tests = self._tests
            sure.update(watchlist_id for watchlist_id in maybe if tests[watchlist_id](facts))
        return sorted(sure)

    def mask(self, text: str, watchlist_ids: Iterable[str]) -> str:
        """The text with the positive terms of these watchlists' queries removed (words, phrases, prefix*
        words, #hashtags, @handles), so that a watched name cannot move sentiment."""
        accents = _NEEDS_FOLDING.search(text) is not None
        for watchlist_id in watchlist_ids:
            key = (watchlist_id, accents)
            if key not in self._masks:
                query = self._queries.get(watchlist_id)
                self._masks[key] = mask_pattern(query, accents) if query is not None else None
            pattern = self._masks[key]
            if pattern is not None:
                text = pattern.sub(" ", text)
        return text
