"""The watchlist query language: what a query means (grammar), where a bad one is wrong, what it matches."""

from __future__ import annotations

from typing import Any

import pytest

from services.ingest.records import Mention, parse_mention
from services.understanding.matching import CompiledWatchlists, Facts, compile_query
from services.understanding.query import (
    MAX_DEPTH,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    And,
    Hashtag,
    Near,
    Not,
    Or,
    Phrase,
    Prefix,
    QuerySyntaxError,
    Word,
    anchors,
    parse,
    positive_terms,
    render,
    sufficient_anchors,
    terms,
)
from services.understanding.watchlists import Watchlist, effective_query

# -- grammar: valid queries -----------------------------------------------------------------------------

# (query as typed, how it is understood: explicit ANDs, minimal parentheses, folded terms)
UNDERSTOOD = [
    ("Aerolis", "aerolis"),
    ("Aerolis Air", "aerolis AND air"),  # implicit AND
    ('"Aerolis Air"', '"aerolis air"'),
    ("“Aerolis Air”", '"aerolis air"'),  # typographic quotes pasted from a document
    ('"Aerolis"', "aerolis"),
    ("a OR b c", "a OR b AND c"),  # AND binds tighter than OR
    ("(a OR b) c", "(a OR b) AND c"),
    ("NOT a b", "NOT a AND b"),  # NOT binds tightest
    ("a NOT b", "a AND NOT b"),
    ("NOT (a OR b)", "NOT (a OR b)"),
    ("a b NEAR/2 c", "a AND b NEAR/2 c"),  # NEAR binds tighter than AND
    ("a NEAR/3 b OR c", "a NEAR/3 b OR c"),
    ('(retard OR "en retard") NEAR/0 dela*', '(retard OR "en retard") NEAR/0 dela*'),
    ("a AND (b OR (c OR d))", "a AND (b OR c OR d)"),
    ("#FlyAérolis @SkyviaHelp", "#flyaerolis AND @skyviahelp"),
    ("lang:FR author:@Marie_D site:WWW.LeMonde.fr", "lang:fr AND author:marie_d AND site:www.lemonde.fr"),
    ("Boycot*", "boycot*"),
    ("ÉTÉ", "ete"),
    ("Citron-Gingembre", '"citron gingembre"'),
    ("l'Aérolis", '"l aerolis"'),
    ("and or not near", "and AND or AND not AND near"),  # operators are upper case only
    ("10:30", '"10 30"'),  # not a field
    ("author:jean pierre", "author:jean AND pierre"),
    ("lang:und", "lang:unknown"),
    ("Aerolis🔥", "aerolis"),
]


@pytest.mark.parametrize(("query", "understood"), UNDERSTOOD)
def test_a_valid_query_is_understood_with_precedence_and_implicit_and(query: str, understood: str) -> None:
    tree = parse(query)
    assert render(tree) == understood
    assert parse(render(tree)) == tree


def test_the_tree_is_small_and_typed() -> None:
    tree = parse('(Aerolis OR #FlyAerolis) boycot* NOT "lost luggage" retard NEAR/2 bagage')
    assert tree == And(
        (
            Or((Word("aerolis"), Hashtag("flyaerolis"))),
            Prefix("boycot"),
            Not(Phrase(("lost", "luggage"))),
            Near(Word("retard"), Word("bagage"), 2),
        )
    )
    assert terms(tree) == ["aerolis", "#flyaerolis", "boycot*", '"lost luggage"', "retard", "bagage"]
    assert '"lost luggage"' not in [render(t) for t in positive_terms(tree)]


# -- grammar: invalid queries ---------------------------------------------------------------------------

# (query, position, part of what was expected)
REFUSED = [
    ("Aerolis AND", 11, 'a term or "(" after AND'),
    ("a OR OR b", 5, 'a term or "(" after OR'),
    ("(a OR b", 7, 'to close the "(" at character 1'),
    ("a OR b)", 6, "end of query"),
    ("()", 1, 'a term or "(" after "("'),
    ('"lost luggage', 13, "a closing quote for the phrase opened at character 1"),
    ('""', 0, "a word inside the quotes"),
    ("a NEAR b", 2, "NEAR/n"),
    ("a NEAR/x b", 2, "NEAR/n"),
    ("a NEAR/99 b", 7, "a NEAR distance of at most 50"),
    ("NOT a NEAR/2 b", 0, "before NEAR/2"),
    ("a NEAR/2 #tag", 9, "after NEAR/2"),
    ("a NEAR/2 (b AND c)", 9, "after NEAR/2"),
    ("a NEAR/2 b NEAR/2 c", 11, "AND or OR between two NEAR groups"),
    ("NEAR/2 b", 0, 'a term or "(" at the start'),
    ("bo*", 0, "at least 3 letters before *"),
    ("bo*cott", 2, "a wildcard only at the end of a word"),
    ('"boycot* aerolis"', 7, "no wildcard inside a phrase"),
    ("price:cheap", 0, "lang:, author: or site:"),
    ("lang:", 5, "a value after lang:"),
    ("Aerolis lang:french", 13, "a two-letter language code"),
    ("site:lemonde", 5, "a domain such as example.com"),
    ("site:lemonde.fr/eco", 5, "a domain such as example.com"),
    ("#", 0, "a hashtag"),
    ("#2025", 0, "a hashtag"),
    ("@", 0, "a handle"),
    ("😀😀", 0, "a term with letters or digits"),
    ("", 0, "a term"),
    ("   ", 0, "a term"),
]


@pytest.mark.parametrize(("query", "position", "expected"), REFUSED)
def test_a_bad_query_says_where_and_what_was_expected(query: str, position: int, expected: str) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse(query)
    assert raised.value.position == position
    assert expected in raised.value.expected
    # `position` is 0-based (for programs); the message counts from 1, as the console's live check does.
    assert str(raised.value).startswith(f"at character {position + 1}: expected ")


def test_the_message_reads_like_a_sentence() -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse("Aerolis OR (a AND")
    assert str(raised.value) == 'at character 18: expected a term or "(" after AND, found end of query'
    assert raised.value.found == "end of query"


def test_lower_case_words_that_look_like_operators_are_pointed_out() -> None:
    from services.understanding.query import operator_warnings

    [warning] = operator_warnings("Aerolis and delay")
    assert warning.startswith('"and" is read as a word to find, not as an operator: write AND')
    assert len(operator_warnings("(Aerolis or Skyvane) Not refund")) == 2
    assert operator_warnings('Aerolis AND "rock and roll" OR #and OR android NOT notes') == []


@pytest.mark.parametrize(
    ("query", "position", "expected"),
    [
        ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), MAX_DEPTH, f"at most {MAX_DEPTH} nested"),
        ("NOT " * (MAX_DEPTH + 1) + "a", 4 * MAX_DEPTH, f"at most {MAX_DEPTH} nested"),
        ("a " * (MAX_TERMS + 1), 2 * MAX_TERMS, f"at most {MAX_TERMS} terms"),
        ("a" * (MAX_QUERY_CHARS + 1), MAX_QUERY_CHARS, f"at most {MAX_QUERY_CHARS} characters"),
    ],
)
def test_a_hostile_query_is_refused_by_its_limits(query: str, position: int, expected: str) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse(query)
    assert raised.value.position == position
    assert raised.value.expected.startswith(expected)


def test_the_limits_still_allow_a_long_ordinary_query() -> None:
    names = " OR ".join(f'"b{i} air" OR #b{i}' for i in range(MAX_TERMS // 2 - 1))
    query = f"({names}) NOT (test OR jeu)"
    assert len(query) <= MAX_QUERY_CHARS
    assert len(terms(parse(query))) == MAX_TERMS


# -- anchors: what must be present for a query to be true -------------------------------------------------


@pytest.mark.parametrize(
    ("query", "anchored"),
    [
        ("aerolis", {("word", "aerolis")}),
        (
            "aerolis OR #flyaerolis OR @aerolis",
            {("word", "aerolis"), ("tag", "flyaerolis"), ("handle", "aerolis")},
        ),
        ("(aerolis OR skyvia) AND retard", {("word", "retard")}),
        ('"aerolis air" NOT bof', {("word", "aerolis")}),
        ("boycot* lang:fr", {("prefix", "boycot")}),
        ("lang:fr", {("lang", "fr")}),
        ("aerolis lang:fr", {("word", "aerolis")}),  # a word is rarer than a language
        ("NOT spam", None),
        ("aerolis OR NOT spam", None),
        ("aerolis OR lang:fr", {("word", "aerolis"), ("lang", "fr")}),
        ("site:lemonde.fr", {("site", "lemonde.fr")}),
    ],
)
def test_anchors_are_terms_one_of_which_must_be_present(query: str, anchored: set[Any] | None) -> None:
    found = anchors(parse(query))
    assert (None if found is None else set(found)) == anchored


@pytest.mark.parametrize(
    ("query", "deciding"),
    [
        (
            'aerolis OR "aerolis air" OR #flyaerolis OR @aerolis OR boyc* OR site:a.fr OR lang:fr',
            {("word", "aerolis"), ("tag", "flyaerolis"), ("handle", "aerolis"), ("prefix", "boyc"),
             ("site", "a.fr"), ("lang", "fr")},
        ),
        ('"aerolis air"', set()),  # its words, but not in order, would not do
        ("author:aerolis", set()),  # an @mention of it would not do
        ("aerolis AND retard", set()),
        ("aerolis NEAR/2 retard", set()),
        ("aerolis OR NOT spam", {("word", "aerolis")}),
        ("NOT spam", set()),
    ],
)  # fmt: skip
def test_sufficient_anchors_are_terms_that_make_the_query_true_alone(query: str, deciding: set[Any]) -> None:
    assert sufficient_anchors(parse(query)) == deciding


# -- matching -------------------------------------------------------------------------------------------


def mention(text: str, **fields: Any) -> Mention:
    author = fields.pop("author", "someone")
    return parse_mention({"text": text, "author": {"handle": author}, **fields})


# (query, mention text, other mention fields, whether it matches)
MATCHES: list[tuple[str, str, dict[str, Any], bool]] = [
    # case and accents, both ways
    ("été", "ETE 2025: canicule", {}, True),
    ("ETE", "un été brûlant", {}, True),
    ("Crédit Azur", "le CREDIT azur encore", {}, True),
    ("Aérolis", "Aerolisfan is not a word of it", {}, False),
    # French elision and apostrophes
    ("Aérolis", "J'adore l'Aérolis du matin", {}, True),
    ("Aérolis", "l’Aerolis (apostrophe courbe)", {}, True),
    ("l'Aérolis", "chez l'aerolis", {}, True),
    # emoji glued to words
    ("Aerolis", "Aerolis😡😡 encore", {}, True),
    ("retard", "🔥retard🔥", {}, True),
    ("Aerolis retard", "😤 Aerolis, 2h de retard 😤", {}, True),
    # phrases
    ('"lost luggage"', "they lost my luggage", {}, False),
    ('"lost luggage"', "Lost-Luggage again", {}, True),
    # hashtags are hashtags, words are words
    ("#FlyAerolis", "what a day #flyaerolis", {}, True),
    ("#FlyAerolis", "flyaerolis rocks", {}, False),
    ("#ete", "vive l'#Été", {}, True),
    ("flyaerolis", "#FlyAerolis", {}, True),
    # handles: the author or an @mention; author: is the author only
    ("@SkyviaHelp", "hello @skyviahelp my bag?", {}, True),
    ("@SkyviaHelp", "we are on it", {"author": "SkyviaHelp"}, True),
    ("author:skyviahelp", "hello @skyviahelp my bag?", {}, False),
    ("author:skyviahelp", "we are on it", {"author": "SkyviaHelp"}, True),
    # NEAR/n: at most n words between, either order
    ("retard NEAR/2 Aerolis", "Aerolis encore en retard", {}, True),
    ("retard NEAR/1 Aerolis", "Aerolis encore en retard", {}, False),
    ("Aerolis NEAR/0 retard", "retard Aerolis", {}, True),
    ('"en retard" NEAR/1 (Aerolis OR Skyvia)', "Skyvia vol en retard", {}, True),
    ("bagage* NEAR/3 perdu", "mes bagages sont encore perdus", {}, False),
    ("bagage* NEAR/3 perdu*", "mes bagages sont encore perdus", {}, True),
    ("aerolis NEAR/5 aerolis", "aerolis is great", {}, False),
    # wildcards at word end
    ("boycot*", "Boycottez Aerolis", {}, True),
    ("boycot*", "#BoycottAerolis", {}, True),
    ("boycot*", "boy oh boy", {}, False),
    # boolean structure
    ("Orange NOT (fruit OR jus)", "Orange a coupé ma fibre", {}, True),
    ("Orange NOT (fruit OR jus)", "un jus d'orange pressé", {}, False),
    ("a OR b c", "only b here", {}, False),
    ("a OR b c", "c and b", {}, True),
    ("NOT spam", "a perfectly normal post", {}, True),
    ("NOT spam", "SPAM spam", {}, False),
    # lang:, site:
    ("Aerolis lang:fr", "Aerolis encore", {"lang": "fr"}, True),
    ("Aerolis lang:fr", "Aerolis encore", {"lang": "fr-FR"}, True),
    ("Aerolis lang:fr", "Aerolis again", {"lang": "en"}, False),
    ("lang:fr", "n'importe quoi", {"lang": "fr"}, True),
    ("lang:unknown", "???", {}, True),
    ("lang:und", "???", {"lang": "fr"}, False),
    ("site:lemonde.fr", "lu sur https://www.lemonde.fr/eco/article-1", {}, True),
    ("site:lemonde.fr", "lu sur https://notlemonde.fr/x", {}, False),
    ("site:lemonde.fr", "un article", {"url": "https://blog.lemonde.fr:443/p"}, True),
    ("lemonde", "https://www.lemonde.fr/eco", {}, False),  # words of links are not words of the text
]


@pytest.mark.parametrize(("query", "text", "fields", "expected"), MATCHES)
def test_a_query_matches_what_it_says(query: str, text: str, fields: dict[str, Any], expected: bool) -> None:
    matcher = CompiledWatchlists([Watchlist(id="w", name="W", query=query)])
    assert matcher.match(mention(text, **fields)) == (["w"] if expected else [])


def test_the_index_finds_every_watchlist_that_evaluating_all_of_them_would() -> None:
    queries = {f"q{i}": parse(query) for i, (query, *_) in enumerate(MATCHES)}
    together = CompiledWatchlists(Watchlist(id=i, name=i, query=render(q)) for i, q in queries.items())
    tests = {watchlist_id: compile_query(query) for watchlist_id, query in queries.items()}
    for text, fields in {(text, tuple(sorted(fields.items()))) for _, text, fields, _ in MATCHES}:
        seen = mention(text, **dict(fields))
        facts = Facts.of(seen)
        assert together.match(seen) == sorted(i for i, test in tests.items() if test(facts)), text


# -- the simple form is a query too ---------------------------------------------------------------------


def test_keyword_lists_become_one_query() -> None:
    watchlist = Watchlist(
        id="credit",
        name="Crédit Azur",
        keywords=["Crédit Azur", "CA"],
        hashtags=["#CreditAzur"],
        handles=["@CreditAzur"],
        exclude=["recrutement", "offre d'emploi"],
    )
    query = effective_query(watchlist)
    assert query is not None
    assert render(query) == (
        '("credit azur" OR ca OR #creditazur OR @creditazur) AND NOT (recrutement OR "offre d emploi")'
    )


def test_a_query_wins_over_the_lists_and_nothing_to_look_for_matches_nothing() -> None:
    both = Watchlist(id="a", name="A", query="skyvia", keywords=["aerolis"])
    assert CompiledWatchlists([both]).match(mention("aerolis")) == []
    assert CompiledWatchlists([both]).match(mention("skyvia")) == ["a"]
    assert effective_query(Watchlist(id="b", name="B")) is None
    assert CompiledWatchlists([Watchlist(id="b", name="B")]).match(mention("anything")) == []


def test_an_invalid_query_from_the_config_topic_matches_nothing_and_says_why() -> None:
    matcher = CompiledWatchlists(
        [Watchlist(id="bad", name="Bad", query="aerolis AND"), Watchlist(id="ok", name="Ok", query="aerolis")]
    )
    assert matcher.match(mention("aerolis")) == ["ok"]
    assert matcher.invalid["bad"].startswith("at character 12: expected")
