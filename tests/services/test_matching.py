from datetime import UTC, datetime, timedelta

from services.demo import DemoGenerator, demo_watchlists
from services.matching import CompiledWatchlists, Facts, compile_query
from services.query import parse, render
from services.records import parse_mention
from services.text import tokens
from services.watchlists import Watchlist, effective_query


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


def test_a_watchlists_own_accounts_are_the_handles_it_asks_for_outside_a_not() -> None:
    from services.watchlists import own_handles

    listed = Watchlist(id="aerolis", name="Aerolis", keywords=["aerolis"], handles=["@FlyAerolis"])
    assert own_handles(listed) == ["flyaerolis"]
    queried = Watchlist(
        id="skyvane",
        name="Skyvane",
        query='(Skyvane OR @flyskyvane OR author:skyvane_help) AND NOT @skyvane_parody NOT "Skyvane Miles"',
    )
    assert own_handles(queried) == ["flyskyvane", "skyvane_help"]
    assert own_handles(Watchlist(id="t", name="T", keywords=["t"])) == []
