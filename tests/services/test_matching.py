from services.matching import CompiledWatchlists
from services.records import parse_mention
from services.watchlists import Watchlist


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
