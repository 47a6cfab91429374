"""Word tokens: one `str.translate` pass must find the words the regex definition finds in the folded text."""

from __future__ import annotations

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from services.understanding.text import fold, tokens

_LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")


def by_definition(text: str) -> list[str]:
    """Letters and digits in runs, in the folded text without its links."""
    return _WORD.findall(fold(_LINK.sub(" ", text)))


def test_tokens_of_everyday_text() -> None:
    assert tokens("L'Aérolis A320 #FlyAerolis @aerolis_support: RETARD… https://x.fr/a?b=1 été") == [
        "l", "aerolis", "a320", "flyaerolis", "aerolis", "support", "retard", "ete",
    ]  # fmt: skip
    assert tokens("ｆｕｌｌ ｗｉｄｔｈ Straße ﬁne ½ İstanbul 😡 e\u0301te\u0301") == by_definition(
        "ｆｕｌｌ ｗｉｄｔｈ Straße ﬁne ½ İstanbul 😡 e\u0301te\u0301"
    )


def test_every_character_between_two_letters_gives_the_tokens_of_the_definition() -> None:
    wrong = [
        hex(code)
        for code in range(0x20, sys.maxunicode + 1)
        if not 0xD800 <= code < 0xE000 and tokens(f"a{chr(code)}b") != by_definition(f"a{chr(code)}b")
    ]
    assert wrong == []


@settings(max_examples=500, deadline=None)
@given(
    st.text(max_size=40)
    | st.lists(
        st.sampled_from(
            ["É", "e", "\u0301", "\u0327", " ", "_", "'", "ß", "İ", "😡", "http://a.b ", "Ⅻ", "²"]
        )
    ).map("".join)
)
def test_any_text_gives_the_tokens_of_the_definition(text: str) -> None:
    assert tokens(text) == by_definition(text)
