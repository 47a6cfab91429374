from __future__ import annotations

from functools import cache

import pytest

from services.sentiment import BACKENDS, LABELS, Scorer, Sentiment, classify, load_scorer


@cache
def scorer() -> Scorer:
    return load_scorer("linear")


def score(text: str, lang: str | None = None) -> Sentiment:
    return scorer().score_batch([text], [lang])[0]


CLEAR = [
    ("en", "pos", "I love this, it's amazing! Thank you so much 😍"),
    ("en", "neg", "This is the worst service ever, I hate it 😡"),
    ("fr", "pos", "J'adore, c'est vraiment génial, merci beaucoup !"),
    ("fr", "neg", "C'est nul, je déteste ce service, quelle honte"),
    ("es", "pos", "Me encanta, es genial, ¡muchas gracias!"),
    ("es", "neg", "Odio este servicio, es horrible y una vergüenza"),
    ("de", "pos", "Ich liebe es, einfach wunderbar, vielen Dank!"),
    ("de", "neg", "Das ist schrecklich, ich hasse diesen Mist"),
    ("it", "pos", "Lo adoro, è bellissimo, grazie mille!"),
    ("it", "neg", "Che schifo, servizio pessimo, lo odio"),
    ("pt", "pos", "Adorei, é maravilhoso, muito obrigado!"),
    ("pt", "neg", "Péssimo serviço, odeio isso, que vergonha"),
]


@pytest.mark.parametrize(("lang", "label", "text"), CLEAR)
def test_clear_texts_in_each_language(lang: str, label: str, text: str) -> None:
    assert score(text).label == label
    assert score(text, lang).label == label


@pytest.mark.parametrize(
    "text",
    [
        "The store opens at 9am on Monday, see the schedule on the website.",
        "Le magasin ouvre à 9h lundi, les horaires sont sur le site.",
        "La tienda abre a las 9 el lunes.",
    ],
)
def test_factual_texts_are_not_polar(text: str) -> None:
    assert abs(score(text).score) < 0.4


def test_every_text_gets_a_score_in_range_and_a_consistent_label() -> None:
    texts = [text for _, _, text in CLEAR] + ["", "?!", "ok", "meh", "🙂", "hello world", "x" * 5000]
    results = scorer().score_batch(texts, [None] * len(texts))
    assert len(results) == len(texts)
    for result in results:
        assert -1.0 <= result.score <= 1.0
        assert result.label in LABELS
        if result.label == "pos":
            assert result.score > 0
        if result.label == "neg":
            assert result.score < 0


@pytest.mark.parametrize(
    ("negated", "plain"),
    [
        ("not bad", "bad"),
        ("The food was not bad at all", "The food was bad"),
        ("no está mal", "está mal"),
        ("nicht schlecht", "schlecht"),
        ("non è male", "è male"),
    ],
)
def test_negation_of_a_negative_word(negated: str, plain: str) -> None:
    assert score(negated).score > score(plain).score
    assert score(negated).label != "neg"
    assert score(plain).label == "neg"


def test_negation_of_a_positive_word() -> None:
    assert score("this is not good").score < score("this is good").score
    assert score("this is not good").label != "pos"
    assert score("ce n'est pas bien").score < score("c'est bien").score


def test_pas_terrible_means_not_great_in_french() -> None:
    # "pas terrible" is an understatement for "mediocre", not a compliment
    assert score("Le film était pas terrible").label != "pos"
    assert score("Le film était pas terrible").score < score("Le film était génial").score


def test_emoji_and_emoticons_carry_sentiment() -> None:
    assert score("Monday morning again 😍").score > score("Monday morning again 😭").score
    assert score("see you tomorrow :)").score > score("see you tomorrow :(").score
    assert score("Lundi matin 😡😡").label == "neg"
    assert score("👍👍👍").label == "pos"


def test_emoji_skin_tones_and_variants_read_like_the_base_emoji() -> None:
    assert score("thanks 👍🏽").score == pytest.approx(score("thanks 👍").score)
    assert score("love it ❤️").score == pytest.approx(score("love it ❤").score)


def test_elongated_words_are_understood() -> None:
    assert score("sooo good").label == "pos"
    assert score("this is goooood").label == "pos"
    assert score("sooooo baaaad").label == "neg"
    assert score("sooo good").score >= score("so good").score


def test_capitals_emphasise() -> None:
    assert score("The new menu is GREAT").score > score("The new menu is great").score
    assert score("THIS IS TERRIBLE").label == "neg"


def test_hashtags_are_read_as_words() -> None:
    assert score("Software update #fail").label == "neg"
    assert score("Software update #fail").score < score("Software update").score
    assert score("Weekend at the lake #love #happy").label == "pos"


def test_mentions_and_links_are_ignored() -> None:
    for text in ["I love this so much", "C'est nul", "Software update"]:
        noisy = f"@someone {text} https://example.com/path?q=1 @other.bsky.social"
        assert score(noisy).score == pytest.approx(score(text).score)
        assert score(noisy).label == score(text).label


def test_french_elision() -> None:
    assert score("c'est nul").label == "neg"
    assert score("j'adore").label == "pos"
    assert score("c’est nul").label == "neg"  # typographic apostrophe
    assert score("l'horreur").label == "neg"  # the elided article does not hide the word
    assert score("qu'il est nul").label == "neg"
    assert score("l'amore è bellissimo").label == "pos"  # Italian elision


def test_accents_are_optional() -> None:
    assert score("c'est genial").label == score("c'est génial").label == "pos"
    assert score("pesimo servicio").label == score("pésimo servicio").label == "neg"


def test_text_with_a_masked_brand_or_nothing_left() -> None:
    results = scorer().score_batch(
        ["I love  so much!", "", "@user https://t.co/x", "  !!  "], [None, None, "en", None]
    )
    assert results[0].label == "pos"
    assert results[1:] == [Sentiment(0.0, "neu")] * 3


def test_language_argument_is_optional_and_may_be_anything() -> None:
    text = "Das ist wirklich wunderbar"
    assert score(text, "de").label == score(text, None).label == score(text, "de-DE").label == "pos"
    assert score(text, "ja").label in LABELS


def test_batch_matches_single_scoring_and_keeps_order() -> None:
    texts = [text for _, _, text in CLEAR]
    batch = scorer().score_batch(texts, [None] * len(texts))
    assert [r.label for r in batch] == [label for _, label, _ in CLEAR]
    assert [r.score for r in batch] == pytest.approx([score(text).score for text in texts])


def test_classify_uses_the_default_model() -> None:
    assert classify("What a wonderful day, thank you all!") == "pos"
    assert classify("Je déteste attendre, c'est insupportable") == "neg"
    assert classify("Quelle heure est-il ?") == "neu"
    for _, _, text in CLEAR:
        assert classify(text) == score(text).label


def test_backends_registry() -> None:
    assert {"linear", "vader"} <= set(BACKENDS)
    assert load_scorer("linear").name == "linear"
    assert load_scorer("vader").score_batch(["I love it"], [None])[0].label == "pos"
    with pytest.raises(ValueError, match="unknown sentiment backend"):
        load_scorer("nope")
