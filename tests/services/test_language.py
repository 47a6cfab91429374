from __future__ import annotations

import pytest

from services.understanding.language import LANGS, UNDETERMINED, detect, detect_batch

SENTENCES = [
    ("en", "The weather is lovely today and we are going to the beach with the kids."),
    ("en", "I can't believe the train was late again this morning"),
    ("fr", "Il fait beau aujourd'hui et nous allons à la plage avec les enfants."),
    ("fr", "Je n'arrive pas à croire que le train soit encore en retard ce matin"),
    ("es", "Hoy hace buen tiempo y vamos a la playa con los niños."),
    ("es", "No puedo creer que el tren llegue tarde otra vez esta mañana"),
    ("de", "Heute ist das Wetter schön und wir fahren mit den Kindern an den Strand."),
    ("de", "Ich kann nicht glauben, dass der Zug heute Morgen wieder zu spät ist"),
    ("it", "Oggi il tempo è bello e andiamo al mare con i bambini."),
    ("it", "Non posso credere che il treno sia di nuovo in ritardo stamattina"),
    ("pt", "Hoje o tempo está bom e vamos à praia com as crianças."),
    ("pt", "Não acredito que o comboio está atrasado outra vez esta manhã"),
]


@pytest.mark.parametrize(("lang", "text"), SENTENCES)
def test_detects_plain_sentences(lang: str, text: str) -> None:
    assert detect(text) == lang


@pytest.mark.parametrize(("lang", "text"), SENTENCES[::2])
def test_social_noise_does_not_change_the_language(lang: str, text: str) -> None:
    noisy = f"@someone {text.upper()} https://example.com/a?b=c #Summer 😀😀"
    assert detect(noisy) == lang


@pytest.mark.parametrize("text", ["😀😀", "ok", "", "   ", "12345 !!!", "https://t.co/abc @bob", "#ok"])
def test_undetermined_when_there_is_nothing_to_go_on(text: str) -> None:
    assert detect(text) == UNDETERMINED


def test_result_is_always_one_of_the_six_or_und() -> None:
    texts = ["hola", "lol", "Bonjour", "xyz qwv", "ça", "danke schön", "a b c d e f g"]
    assert set(detect_batch(texts)) <= {*LANGS, UNDETERMINED}


def test_a_valid_hint_is_trusted_and_normalised() -> None:
    french = "Je n'arrive pas à croire que le train soit encore en retard"
    assert detect(french, hint="en") == "en"
    assert detect(french, hint="en-US") == "en"
    assert detect(french, hint="PT_br") == "pt"
    assert detect(french, hint="JA") == "ja"
    assert detect("😀😀", hint="de") == "de"


@pytest.mark.parametrize("hint", [None, "", "und", "unknown", "xx", "english", "zz-ZZ"])
def test_an_invalid_hint_is_ignored(hint: str | None) -> None:
    german = "Ich kann nicht glauben, dass der Zug wieder zu spät ist"
    assert detect(german, hint=hint) == "de"


def test_batch_agrees_with_single_detection() -> None:
    texts = [text for _, text in SENTENCES] + ["ok", "😀"]
    hints: list[str | None] = [None] * len(texts)
    hints[1] = "fr"
    assert detect_batch(texts, hints) == [detect(text, hint) for text, hint in zip(texts, hints, strict=True)]
    assert detect_batch(texts) == [detect(text) for text in texts]


def test_batch_rejects_mismatched_hints() -> None:
    with pytest.raises(ValueError, match="hints"):
        detect_batch(["one", "two"], ["en"])


def test_empty_batch() -> None:
    assert detect_batch([]) == []


def test_unsure_is_spelled_unknown() -> None:
    assert UNDETERMINED == "unknown"
    assert detect_batch(["ok", "😀😀", "Bonjour à tous, quelle belle journée"]) == [
        "unknown",
        "unknown",
        "fr",
    ]


SOCIAL = [  # short posts as they arrive: handles, links, hashtags, emoji, elongation, no accents
    ("en", "@acme ur app is sooo slow today, fix it pls 😡 https://t.co/x"),
    ("fr", "jsuis trop contente de ma commande, merci @boutique !!! #bonheur"),
    ("fr", "c'est pas normal d'attendre 3 semaines pour une livraison"),
    ("es", "no me puedo creer que siga sin llegar mi pedido, que verguenza"),
    ("de", "warum funktioniert die App schon wieder nicht?? #ärgerlich"),
    ("it", "ragazzi ma perché l'app non funziona da stamattina? 😤"),
    ("pt", "gente que atendimento maravilhoso, voltarei com certeza 😍"),
]


@pytest.mark.parametrize(("lang", "text"), SOCIAL)
def test_detects_social_posts(lang: str, text: str) -> None:
    assert detect(text) == lang


def test_a_source_tag_wins_even_on_text_that_looks_otherwise() -> None:
    texts = [text for _, text in SOCIAL]
    assert detect_batch(texts, ["it"] * len(texts)) == ["it"] * len(texts)
    assert detect_batch(texts, ["und"] * len(texts)) == [lang for lang, _ in SOCIAL]
