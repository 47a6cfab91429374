import _sre
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType

from hypothesis import given
from hypothesis import strategies as st

from services.demo import DemoGenerator, demo_watchlists
from services.ingest.records import Author, Mention, parse_mention
from services.understanding import matching
from services.understanding.matching import CompiledWatchlists, Facts, compile_query, follows_within
from services.understanding.query import parse, render
from services.understanding.text import tokens
from services.understanding.watchlists import Watchlist, effective_query


def mention(text: str, handle: str = "someone") -> object:
    return parse_mention({"text": text, "author": {"handle": handle}})


WATCHLISTS = [
    Watchlist(id="aerolis", name="Aerolis", keywords=["Aerolis", "aerolis air"], hashtags=["flyaerolis"]),
    Watchlist(id="skyvia", name="Skyvia", keywords=["skyvia"], handles=["SkyviaHelp"]),
    Watchlist(id="credit", name="Crédit Azur", keywords=["crédit azur"], exclude=["recrutement"]),
    Watchlist(id="united", name="United", keywords=["united airlines"]),
]
MATCHER = CompiledWatchlists(WATCHLISTS)


def ids(text: str, handle: str = "someone") -> list[str]:
    return MATCHER.match(mention(text, handle))  # type: ignore[arg-type]


def test_keywords_match_whole_words_case_and_accent_insensitively() -> None:
    assert ids("AEROLIS late again") == ["aerolis"]
    assert ids("aerolisfan here") == []
    assert ids("Le CREDIT AZUR a encore augmenté ses frais") == ["credit"]


def test_phrases_need_their_words_in_order() -> None:
    assert ids("united airlines lost my bag") == ["united"]
    assert ids("united we stand, airlines fall") == []


def test_hashtags_and_handles_match() -> None:
    assert ids("what a day #FlyAerolis") == ["aerolis"]
    assert ids("hello @skyviahelp my bag?") == ["skyvia"]
    assert ids("we are on it", handle="SkyviaHelp") == ["skyvia"]


def test_one_mention_can_be_about_competitors_at_once() -> None:
    assert ids("Aerolis or Skyvia for Lisbon?") == ["aerolis", "skyvia"]


def test_exclude_words_disqualify() -> None:
    assert ids("Crédit Azur recrutement: postulez") == []


def test_masking_removes_the_watched_terms_for_scoring() -> None:
    masked = MATCHER.mask("Aerolis Air is #FlyAerolis great", ["aerolis"])
    assert "aerolis" not in masked.lower()
    assert "great" in masked
    assert MATCHER.mask("crédit azur et Credit Azur", ["credit"]).strip(" et") == ""


def test_an_empty_matcher_matches_nothing() -> None:
    assert CompiledWatchlists([]).match(mention("anything at all")) == []  # type: ignore[arg-type]


def test_masking_ignores_case_and_accents_and_keeps_what_the_query_excludes() -> None:
    matcher = CompiledWatchlists(
        [
            Watchlist(id="ete", name="Été", query='été OR "citron gingembre" OR boycot* OR #Été OR @Ete_Fr'),
            Watchlist(id="orange", name="Orange", query="Orange NOT jus"),
        ]
    )
    masked = matcher.mask("ÉTÉ, ete et Été; Citron-Gingembre! Boycottez #été @ete_fr", ["ete"])
    assert tokens(masked) == ["et"]
    assert tokens(matcher.mask("Orange: le jus est bon", ["orange"])) == ["le", "jus", "est", "bon"]
    assert matcher.mask("Orange", ["skyvia"]) == "Orange"  # only the named watchlists' terms


def test_the_index_agrees_with_evaluating_every_query_on_demo_mentions() -> None:
    start = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    generator = DemoGenerator(seed=5, start=start, rate_per_s=200)
    mentions = [m for i in range(1, 16) for m in generator.batch(start + timedelta(seconds=i), 1.0)]
    queries = [render(q) for w in demo_watchlists() if (q := effective_query(w)) is not None] + [
        "Aerolis NOT lang:en",
        "(Skyvane OR flyskyvane) NEAR/4 (crash* OR useless OR retard*)",
        '"Brisaline Zest" OR brisaline NEAR/2 zéro',
        "lang:fr NOT (aerolis OR skyvane)",
        f"#skyvane author:{next(m.author.handle for m in mentions if 'skyvane' in (m.hashtags or ()))}",
        "site:social.example @aerolis",
        "deliciou* OR délicieu*",
        "NOT the",
        # an anchor that decides alone beside ones that do not, and beside queries without anchors
        "skyv* OR NOT lang:fr",
        'site:social.example OR lang:de OR "aerolis plus"',
        f"author:{next(m.author.handle for m in mentions)} OR #veltra OR (ondacom AND lang:es)",
    ]
    matcher = CompiledWatchlists(Watchlist(id=f"q{i}", name="q", query=q) for i, q in enumerate(queries))
    tests = [compile_query(parse(q)) for q in queries]
    per_query = [0] * len(queries)
    for seen in mentions:
        facts = Facts.of(seen)
        expected = sorted(f"q{i}" for i, test in enumerate(tests) if test(facts))
        assert matcher.match(seen, tokens(seen.text)) == expected, seen.text
        for watchlist_id in expected:
            per_query[int(watchlist_id[1:])] += 1
    assert all(per_query), dict(zip(queries, per_query, strict=True))  # every query matched something


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 3)), max_size=12),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 3)), max_size=12),
    st.integers(0, 5),
)
def test_near_merging_agrees_with_comparing_every_pair(
    first: list[tuple[int, int]], second: list[tuple[int, int]], distance: int
) -> None:
    before = sorted((start, start + length) for start, length in first)
    after = sorted((start, start + length) for start, length in second)
    every_pair = any(0 <= b - a_end - 1 <= distance for _, a_end in before for b, _ in after)
    assert follows_within(before, after, distance) == every_pair


def crafted_query(clauses: int) -> str:
    """The probe's hostile query: many NEARs of prefixes that occur everywhere but never close enough."""
    stems = [(a, b) for a in range(3, 7) for b in range(3, 7)]
    near = [f"{'a' * a}* NEAR/{d} {'b' * b}*" for d in range(10) for a, b in stems]
    return " OR ".join(near[:clauses])


def crafted_text(words: int) -> str:
    return "aaaaaa " * words + "q " * 60 + "bbbbbb " * words


def lines_run(call: Callable[[], object], module: str) -> int:
    """How many lines of `module` a call runs: the work done, counted, not timed."""
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> Callable[..., object]:
        nonlocal count
        count += event == "line"
        return local

    def calls(frame: FrameType, event: str, arg: object) -> Callable[..., object] | None:
        return local if frame.f_code.co_filename == module else None

    sys.settrace(calls)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


def crafted_work(words: int) -> int:
    """Lines of services/understanding/matching.py run to match the crafted text.

    The query has 150 clauses.
    """
    matcher = CompiledWatchlists([Watchlist(id="probe", name="Probe", query=crafted_query(150))])
    crafted = Mention(text=crafted_text(words), author=Author(handle="probe"))
    return lines_run(lambda: matcher.match(crafted), matching.__file__)


def test_a_crafted_mention_and_query_cost_work_linear_in_the_text() -> None:
    assert len(parse(crafted_query(150)).operands) == 150  # type: ignore[union-attr]
    small, large = crafted_work(150), crafted_work(300)
    # Comparing every pair of positions costs four times as much when the text doubles; a merge twice.
    assert large <= 2.2 * small, (small, large)
    # The size (700 + 60 + 700 words, 150 clauses): a few lines per word per clause at most.
    assert crafted_work(700) <= 10 * 150 * (2 * 700 + 60)


def test_a_watchlists_own_accounts_are_the_handles_it_asks_for_outside_a_not() -> None:
    from services.understanding.watchlists import own_handles

    listed = Watchlist(id="aerolis", name="Aerolis", keywords=["aerolis"], handles=["@FlyAerolis"])
    assert own_handles(listed) == ["flyaerolis"]
    queried = Watchlist(
        id="skyvane",
        name="Skyvane",
        query='(Skyvane OR @flyskyvane OR author:skyvane_help) AND NOT @skyvane_parody NOT "Skyvane Miles"',
    )
    assert own_handles(queried) == ["flyskyvane", "skyvane_help"]
    assert own_handles(Watchlist(id="t", name="T", keywords=["t"])) == []


# -- masking: the fast regex removes exactly what the reference one removes ---------------------------------

#: Characters that test case and accent folding at word edges: the long s, dotless and dotted i, the Kelvin
#: sign, the micro sign, a combining accent, and the punctuation the regexes look at.
TRICKY = "aAeEéÉèiIıİsSſkKKµμoOöÖcçbBnN0123_-&#@.' \u0301\n"
TERMS = ["été", "ete", "citron gingembre", "boycot*", "#Été", "@ete_fr", "sk", "is", "Kö", "µs", "a-b", "1e"]


def masked_terms_query(terms: list[str]) -> str:
    return " OR ".join(f'"{term}"' if " " in term or "-" in term else term for term in terms)


#: Spellings of the terms, glued to random characters: matches at word edges, in any case or accent.
SPELLINGS = [
    "été",
    "ÉTÉ",
    "e\u0301te",
    "Ete",
    "citron-gingembre",
    "Citron Gingembre",
    "boycottez",
    "#été",
    "@ete_fr",
]
SPELLINGS += [
    "@Ete_Fr.x",
    "SK",
    "ſk",
    "is",
    "İS",
    "ıs",
    "KÖ",
    "Kö",
    "µs",
    "μS",
    "a-b",
    "A_b",
    "1E",
    "1é",
    "&#ete",
]


@given(
    st.lists(st.sampled_from(TERMS), min_size=1, max_size=5, unique=True),
    st.lists(st.one_of(st.sampled_from(SPELLINGS), st.text(alphabet=TRICKY, max_size=3)), max_size=12),
    st.booleans(),
)
def test_the_fast_mask_regex_removes_what_the_reference_regex_removes(
    terms: list[str], pieces: list[str], accents: bool
) -> None:
    text = "".join(pieces)
    query = parse(masked_terms_query(terms))
    fast, reference = matching.mask_pattern(query, accents), matching.reference_mask_pattern(query, accents)
    assert fast is not None and reference is not None
    assert fast.sub(" ", text) == reference.sub(" ", text), (fast.pattern, reference.pattern)


def test_the_fast_mask_regex_agrees_on_demo_mentions_and_watchlists() -> None:
    start = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    generator = DemoGenerator(seed=11, start=start, rate_per_s=200)
    texts = [m.text for i in range(1, 11) for m in generator.batch(start + timedelta(seconds=i), 1.0)]
    removed = 0
    for watchlist in demo_watchlists():
        query = effective_query(watchlist)
        assert query is not None
        for accents in (True, False):
            fast, reference = (
                matching.mask_pattern(query, accents),
                matching.reference_mask_pattern(query, accents),
            )
            assert fast is not None and reference is not None
            for text in texts:
                assert fast.sub(" ", text) == reference.sub(" ", text), text
                removed += fast.sub(" ", text) != text
    assert removed > 100  # the demo talks about its brands: masking did remove terms


def test_the_leading_class_holds_every_character_that_matches_ignoring_case() -> None:
    beyond = range(matching.CASED_BELOW, 0x110000)
    assert list(map(_sre.unicode_tolower, beyond)) == list(beyond)  # nothing there has a case
    text_beyond = "".join(map(chr, beyond))
    assert text_beyond.upper() == text_beyond.lower() == text_beyond
    below = "".join(chr(code) for code in range(matching.CASED_BELOW) if not 0xD800 <= code < 0xE000)
    # The first item of a masked term: a letter or digit (without accents), '#', '@', or an accent class.
    firsts = [re.escape(char) for char in "abcdefghijklmnopqrstuvwxyz0123456789#@"]
    firsts += list(matching._variants().values())
    for first in firsts:
        chars = first.strip("[]").replace("\\", "") if first.startswith("[") else first[-1]
        matching_chars = set(re.findall(f"(?i:{first})", below))
        leading = set(re.findall(matching._case_insensitive_class(chars), below))
        assert matching_chars <= leading, (first, matching_chars - leading)
