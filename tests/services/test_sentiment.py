from __future__ import annotations

import subprocess
import sys
from functools import cache
from typing import get_args

import pytest
from pydantic import ValidationError

from services.settings import REPO_ROOT, Settings
from services.understanding.sentiment import (
    BACKENDS,
    LABELS,
    Scorer,
    Sentiment,
    classify,
    data,
    load_scorer,
    metrics,
)
from services.understanding.sentiment.vader import VaderScorer


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


# Behaviour a reader of the wall would notice, in each of the six languages.

NEGATED_NEGATIVE = [  # (negated, plain): "not bad" is no complaint
    ("en", "not bad", "bad"),
    ("fr", "ce n'est pas mauvais", "c'est mauvais"),
    ("es", "no está mal", "está mal"),
    ("de", "nicht schlecht", "schlecht"),
    ("it", "non è male", "è male"),
    ("pt", "não é ruim", "é ruim"),
]

NEGATED_POSITIVE = [  # (negated, plain): "not good" is no compliment
    ("en", "this is not good", "this is good"),
    ("fr", "ce n'est pas bon", "c'est bon"),
    ("es", "no es bueno", "es bueno"),
    ("de", "das ist nicht gut", "das ist gut"),
    ("it", "non è buono", "è buono"),
    ("pt", "não é bom", "é bom"),
]


@pytest.mark.parametrize(("lang", "negated", "plain"), NEGATED_NEGATIVE)
def test_negating_a_negative_word_in_each_language(lang: str, negated: str, plain: str) -> None:
    assert score(plain).label == "neg"
    assert score(negated).label != "neg"
    assert score(negated).score > score(plain).score
    assert score(negated, lang).score > score(plain, lang).score


@pytest.mark.parametrize(("lang", "negated", "plain"), NEGATED_POSITIVE)
def test_negating_a_positive_word_in_each_language(lang: str, negated: str, plain: str) -> None:
    assert score(plain).label == "pos"
    assert score(negated).label != "pos"
    assert score(negated).score < score(plain).score
    assert score(negated, lang).score < score(plain, lang).score


NEUTRAL_BASE = [  # a plain statement, to which an emoji is added
    ("en", "Monday morning at the office"),
    ("fr", "Lundi matin au bureau"),
    ("es", "Lunes por la mañana en la oficina"),
    ("de", "Montagmorgen im Büro"),
    ("it", "Lunedì mattina in ufficio"),
    ("pt", "Segunda de manhã no escritório"),
]


@pytest.mark.parametrize(("lang", "text"), NEUTRAL_BASE)
def test_emoji_and_emoticons_set_the_tone_in_each_language(lang: str, text: str) -> None:
    assert score(f"{text} 😍😍").score > score(text).score > score(f"{text} 😡😡").score
    assert score(f"{text} 😍😍").label == "pos"
    assert score(f"{text} 😡😡").label == "neg"
    assert score(f"{text} :)").score > score(f"{text} :(").score


ELONGATED = [  # (elongated, plain, label)
    ("en", "sooo good", "so good", "pos"),
    ("fr", "trop bieeeen", "trop bien", "pos"),
    ("es", "me encantaaaa", "me encanta", "pos"),
    ("de", "suuuper", "super", "pos"),
    ("it", "bellissimoooo", "bellissimo", "pos"),
    ("pt", "lindooooo", "lindo", "pos"),
    ("en", "sooooo baaaad", "so bad", "neg"),
    ("es", "horribleeee", "horrible", "neg"),
]


@pytest.mark.parametrize(("lang", "elongated", "plain", "label"), ELONGATED)
def test_elongated_words_read_like_the_word(lang: str, elongated: str, plain: str, label: str) -> None:
    assert score(plain).label == label
    assert score(elongated).label == label
    assert score(elongated, lang).label == label


CAPITALS = [  # (sentence, its sentiment word): the word in capitals weighs more, in the same direction
    ("en", "The new menu is great", "great"),
    ("fr", "Le nouveau menu est génial", "génial"),
    ("es", "El nuevo menú es genial", "genial"),
    ("de", "Das neue Menü ist toll", "toll"),
    ("it", "Il nuovo menù è fantastico", "fantastico"),
    ("pt", "O novo cardápio é ótimo", "ótimo"),
    ("en", "The delivery was awful", "awful"),
    ("fr", "La livraison était nulle", "nulle"),
    ("es", "La entrega fue pésima", "pésima"),
    ("de", "Die Lieferung war schrecklich", "schrecklich"),
    ("it", "La consegna è stata pessima", "pessima"),
    ("pt", "A entrega foi horrível", "horrível"),
]


NEGATIVE_WORDS = {"awful", "nulle", "pésima", "schrecklich", "pessima", "horrível"}


@pytest.mark.parametrize(("lang", "text", "word"), CAPITALS)
def test_a_word_in_capitals_is_emphasised(lang: str, text: str, word: str) -> None:
    shouted = text.replace(word, word.upper())
    plain, loud = score(text, lang), score(shouted, lang)
    assert plain.label != "pos" if word in NEGATIVE_WORDS else plain.label == "pos"
    assert abs(loud.score) > abs(plain.score)
    assert (loud.score > 0) == (plain.score > 0)


HASHTAGS = [  # (text, hashtag that carries the sentiment, label)
    ("en", "Software update", "#EpicFail", "neg"),
    ("fr", "Livraison arrivée ce matin", "#TropContent", "pos"),
    ("es", "Otra vez sin luz en el barrio", "#QueVergüenza", "neg"),
    ("de", "Neues Handy ausgepackt", "#EinfachToll", "pos"),
    ("it", "Treno in ritardo di un'ora", "#CheSchifo", "neg"),
    ("pt", "Show ontem à noite", "#MuitoLindo", "pos"),
]


@pytest.mark.parametrize(("lang", "text", "hashtag", "label"), HASHTAGS)
def test_hashtags_are_read_as_words_in_each_language(lang: str, text: str, hashtag: str, label: str) -> None:
    tagged = score(f"{text} {hashtag}")
    assert tagged.label == label
    if label == "pos":
        assert tagged.score > score(text).score
    else:
        assert tagged.score < score(text).score


@pytest.mark.parametrize(
    ("lang", "text", "hashtag", "words", "verdict"),
    [  # verdict: the hashtag is a sentiment phrase, read as the author's own verdict on the post
        ("de", "Neues Handy ausgepackt", "#EinfachToll", "Einfach Toll", "pos"),
        ("en", "Software update", "#EpicFail", "Epic Fail", "neg"),
        ("pt", "Assistindo", "#DomingoLegal", "Domingo Legal", None),  # a TV show's name
        ("pt", "Assistindo", "#VideoShowAoVivo", "Video Show Ao Vivo", None),
    ],
)
def test_a_hashtag_weighs_more_than_its_words_only_when_it_is_a_sentiment_phrase(
    lang: str, text: str, hashtag: str, words: str, verdict: str | None
) -> None:
    tagged, plain = score(f"{text} {hashtag}", lang), score(f"{text} {words}", lang)
    if verdict == "pos":
        assert tagged.score > plain.score
    elif verdict == "neg":
        assert tagged.score < plain.score
    else:
        assert tagged == plain


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("j'adore ce magasin", "pos"),
        ("j’adore ce magasin", "pos"),
        ("c'est vraiment décevant", "neg"),
        ("C’EST NUL", "neg"),
        ("l'accueil était génial", "pos"),
        ("l'attente est insupportable", "neg"),
        ("d'une lenteur, c'est pénible et j'en ai marre", "neg"),
        ("qu'est-ce que c'est beau", "pos"),
    ],
)
def test_french_elision_and_accents(text: str, label: str) -> None:
    assert score(text).label == label
    assert score(text, "fr").label == label


LAUGHTER = [
    ("en", "hahaha that was the best"),
    ("es", "jajajaja me muero, qué bueno"),
    ("it", "ahahahah troppo bello"),
    ("pt", "kkkkkkk muito bom"),
]


@pytest.mark.parametrize(("lang", "text"), LAUGHTER)
def test_laughter_reads_as_positive(lang: str, text: str) -> None:
    assert score(text).label == "pos"


def test_classify_on_a_fresh_import() -> None:
    """`classify` is what outside evaluation calls: it must load the model by itself in a new process."""
    program = (
        "from services.understanding.sentiment import classify\n"
        "print(classify('I love it'), classify('Je déteste ça'), classify('La tienda abre a las 9.'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False, cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["pos", "neg", "neu"]


def test_the_settings_default_backend_is_the_trained_model_and_names_are_checked() -> None:
    assert Settings.model_fields["sentiment_backend"].default == "linear"
    assert set(get_args(Settings.model_fields["sentiment_backend"].annotation)) == set(BACKENDS)
    with pytest.raises(ValidationError, match="'linear' or 'vader'"):
        Settings.model_validate({"sentiment_backend": "nope"})


# Quality on the validation splits (never used to train or to choose hyper-parameters).

TARGET_MACRO_F1 = {"en": 0.62, "fr": 0.62, "es": 0.58, "de": 0.58, "it": 0.58, "pt": 0.58}
#: Where a target is not reached yet, the floor guards what is (Italian: 0.538 on 2026-11-22, see the
#: README); raise it when the model improves. Never lower a floor to make a regression pass.
FLOOR_MACRO_F1 = {**TARGET_MACRO_F1, "it": 0.54}
MARGIN = 0.02  # room for a retrain on other library versions, not for a regression
#: The model must beat plain VADER clearly in every language, not by a hair.
MIN_GAIN_OVER_VADER = 0.04


def validation_split(lang: str) -> data.Split:
    folder = data.data_dir()
    if not (folder / "xlmt").is_dir():
        pytest.fail(
            f"expected the labelled tweets in {folder} (shared/data/sentiment beside the clone, or "
            "VIGIE_SENTIMENT_DATA); found nothing there"
        )
    return data.xlmt(lang, "val")


@pytest.mark.parametrize("lang", list(TARGET_MACRO_F1))
def test_validation_macro_f1_per_language(lang: str) -> None:
    split = validation_split(lang)
    results = scorer().score_batch(split.texts, [None] * len(split.texts))
    predicted = [LABELS.index(r.label) for r in results]
    f1 = metrics.macro_f1(split.labels, predicted)
    assert f1 >= FLOOR_MACRO_F1[lang] - MARGIN, (
        f"{lang}: macro-F1 {f1:.3f}, floor {FLOOR_MACRO_F1[lang]}, target {TARGET_MACRO_F1[lang]}"
    )
    baseline = VaderScorer().score_batch(split.texts, [None] * len(split.texts))
    vader_f1 = metrics.macro_f1(split.labels, [LABELS.index(r.label) for r in baseline])
    assert f1 >= vader_f1 + MIN_GAIN_OVER_VADER, f"{lang}: model {f1:.3f}, VADER {vader_f1:.3f}"


# Complaints as the war room reads them (issue 14). None of these texts is in the training data (checked by
# `test_complaint_texts_are_not_in_the_training_data`): the model has to generalise, not recall.

COMPLAINTS = [
    # customer-service language
    ("neg", "@united still on hold after 2 hours"),
    ("neg", "@JetBlue still waiting for my refund, 3 weeks now"),
    ("neg", "@SouthwestAir thanks for nothing"),
    ("neg", "Flight cancelled and nobody at the desk. Stranded in Denver overnight"),
    ("neg", "@Veltra third day without internet and still no answer from support"),
    ("neg", "Merci pour rien @Aerolis, toujours aucune réponse du service client"),
    ("neg", "Vuelo cancelado y sigo esperando el reembolso"),
    ("neg", "Danke für nichts, warte immer noch auf die Erstattung"),
    ("neg", "Volo cancellato, ancora in attesa del rimborso"),
    ("neg", "Voo cancelado e ainda esperando o reembolso"),
    # negation
    ("neg", "not happy with the service at all"),
    ("neg", "Je ne suis pas du tout satisfait de ce service"),
    ("pos", "not bad at all, the crew was lovely"),
    # sarcasm markers
    ("neg", "oh great, another delay. just great"),
    ("neg", "Love waiting 3 hours on the tarmac #sarcasm"),
    # emoji
    ("neg", "Lost my bag again 😡😡"),
    ("neg", "my order arrived broken 😭"),
    ("pos", "Smooth flight and a friendly crew 😍👏"),
]

QUESTIONS = [  # questions and requests for information are neutral
    "Des idées ?",
    "Comment marche le programme de fidélité exactement ?",
    "What time does the Paris flight board?",
    "Does anyone know if the app works offline?",
    "¿A qué hora abre la tienda el domingo?",
    "Weiß jemand, wann der Zug fährt?",
    "Qualcuno sa se il negozio è aperto domenica?",
    "Alguém sabe o horário do voo para Lisboa?",
]


BRAND_CHATTER = [  # news about a brand that nobody praises or blames is neutral
    "update 5 is out today",
    "new store opening on main street tomorrow",
]


@pytest.mark.parametrize(("label", "text"), COMPLAINTS)
def test_complaints_negation_sarcasm_and_emoji(label: str, text: str) -> None:
    assert classify(text) == label


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_and_requests_for_information_are_neutral(text: str) -> None:
    assert classify(text) == "neu"


@cache
def trained_keys() -> frozenset[str]:
    from services.understanding.sentiment.train import training_data

    return frozenset(data.key(text) for text in training_data().texts)


@pytest.mark.parametrize("text", BRAND_CHATTER)
def test_neutral_brand_chatter_is_neutral(text: str) -> None:
    assert classify(text) == "neu"


def test_complaint_texts_are_not_in_the_training_data() -> None:
    for text in [text for _, text in COMPLAINTS] + QUESTIONS + BRAND_CHATTER:
        assert data.key(text) not in trained_keys(), text


def test_the_test_split_is_fixed_and_never_trained_on() -> None:
    assert data.hash_share("@user Still on hold http") == data.hash_share("still on HOLD!")  # same key
    assert data.hash_share("a") != data.hash_share("b")
    for lang in data.LANGUAGES:
        test = data.xlmt_test(lang)
        assert len(test.texts) > 300, lang  # about a fifth of 1,839
        assert all(data.hash_share(text) < data.TEST_SHARE for text in test.texts)
        assert not {data.key(text) for text in test.texts} & trained_keys(), lang
    held = {data.key(text) for split in data.brand_check() for text in split.texts}
    assert len(held) > 1000
    assert not held & trained_keys()


def test_the_complaint_check_matches_masks_and_compares_shares_per_brand() -> None:
    from services.understanding.sentiment.evaluate import complaint_table

    texts, labels = [], []
    for i in range(60):
        texts += [
            f"My iPhone {i} broke again, worst phone ever 😡",
            f"Windows event {i} starts at noon in Austin",
        ]
        labels += [0, 1]
    lines, passed = complaint_table(scorer(), [data.Split("stream", texts, labels, "en")])
    rows = {line.split(" | ")[0].split()[2]: line.split() for line in lines[2:]}
    assert set(rows) == {"apple", "microsoft"}  # each post counted for the brand it names
    assert rows["apple"][3:6] == ["60", "|", "100.0"]  # 60 posts, people: all negative
    assert float(rows["apple"][6]) >= 90.0  # the model's negative share
    assert rows["microsoft"][3:6] == ["60", "|", "0.0"]
    assert float(rows["microsoft"][6]) <= 10.0
    assert passed == all(row[11] == "ok" and abs(float(row[7])) <= 8.0 for row in rows.values())


# Quality on the untouched test split (never trained or tuned on): the figure to quote.

TEST_TARGET_MACRO_F1 = {"en": 0.65, "fr": 0.65, "es": 0.62, "de": 0.62, "it": 0.62, "pt": 0.62}
#: What the model reaches on 2026-12-06 where it is under the target (French 0.642, Spanish 0.583,
#: Portuguese 0.575); raise a floor when the model improves, never lower one to pass a regression.
TEST_FLOOR_MACRO_F1 = {**TEST_TARGET_MACRO_F1, "fr": 0.64, "es": 0.58, "pt": 0.57}


@pytest.mark.parametrize("lang", list(TEST_TARGET_MACRO_F1))
def test_test_split_macro_f1_per_language(lang: str) -> None:
    validation_split(lang)  # fails with a clear message when the data is missing
    split = data.xlmt_test(lang)
    predicted = [LABELS.index(r.label) for r in scorer().score_batch(split.texts, [None] * len(split.texts))]
    f1 = metrics.macro_f1(split.labels, predicted)
    floor, target = TEST_FLOOR_MACRO_F1[lang], TEST_TARGET_MACRO_F1[lang]
    assert f1 >= floor - MARGIN, f"{lang}: test macro-F1 {f1:.3f}, floor {floor}, target {target}"
