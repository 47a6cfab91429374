"""The watchlist query language: parse a boolean query into a small typed tree.

    Aerolis OR "Aerolis Air" OR #FlyAerolis OR @aerolis
    (Skyvane OR @flyskyvane) AND (retard* OR delay*) NOT "Skyvane Miles"
    Veltra NEAR/3 (panne OR outage) lang:fr site:lemonde.fr

Terms: a word, a "quoted phrase" (its words in order), `word*` (any word starting with at least
`MIN_PREFIX_CHARS` characters), `#hashtag`, `@handle` (the author or an @mentioned account), `lang:fr` (the
mention's language; `lang:unknown` when it is not known), `author:name` (the author's handle only),
`site:domain` (the domain of a link in the mention or of its url, subdomains included). Words and phrases
match case- and accent-insensitively on whole words (`services.understanding.text.tokens`: "ETE" matches
"été", and an apostrophe splits "l'Aérolis" into "l", "aerolis").

Operators, upper case only (a lower-case "and" is a word): `NOT` binds tightest, then `NEAR/n`, then `AND`,
then `OR`; parentheses group. Two terms side by side are joined by an implicit AND (`a b` is `a AND b`).
`a NEAR/n b` links two words, prefixes or phrases (or a parenthesised OR of them) that are at most n words
apart, in either order: n words or fewer between them.

Limits, so that a hostile query cannot cost much: at most `MAX_QUERY_CHARS` characters, `MAX_TERMS` terms,
`MAX_DEPTH` nested parentheses or NOTs, and NEAR distances up to `MAX_NEAR`. A query that breaks a rule
raises `QuerySyntaxError` with the 0-based character `position`, what was `expected` and what was `found`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeGuard

from services.understanding.text import fold, tokens

MAX_QUERY_CHARS = 4000
MAX_TERMS = 300
MAX_DEPTH = 20
MAX_NEAR = 50
MIN_PREFIX_CHARS = 3
#: `lang:unknown` (or `lang:und`) matches mentions whose language neither the source nor detection knows.
UNKNOWN_LANG = "unknown"

# -- the tree -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # one folded token


@dataclass(frozen=True, slots=True)
class Prefix:
    stem: str  # folded; matches any word that starts with it


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]  # two or more folded tokens, consecutive in the text


@dataclass(frozen=True, slots=True)
class Hashtag:
    tag: str  # folded, without '#'


@dataclass(frozen=True, slots=True)
class Handle:
    handle: str  # lower-case, without '@'; the author or an @mention


@dataclass(frozen=True, slots=True)
class Author:
    handle: str  # lower-case, without '@'; the author only


@dataclass(frozen=True, slots=True)
class Lang:
    code: str  # ISO 639-1, or UNKNOWN_LANG


@dataclass(frozen=True, slots=True)
class Site:
    domain: str  # lower-case; subdomains match too


Positional = Word | Prefix | Phrase
Term = Word | Prefix | Phrase | Hashtag | Handle | Author | Lang | Site


@dataclass(frozen=True, slots=True)
class Near:
    left: NearSide
    right: NearSide
    distance: int  # at most this many words between the two


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node = Term | Near | Not | And | Or
NearSide = Positional | Or  # an Or here holds only Positional terms: (delay OR retard*) NEAR/3 bag


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed: where (`position`, the 0-based character offset; the message counts
    characters from 1, as a person does), what was expected, what was found."""

    def __init__(self, position: int, expected: str, found: str) -> None:
        super().__init__(f"at character {position + 1}: expected {expected}, found {found}")
        self.position = position
        self.expected = expected
        self.found = found


# -- lexing -------------------------------------------------------------------------------------------------

LexKind = Literal["(", ")", "phrase", "AND", "OR", "NOT", "NEAR", "term", "end"]


@dataclass(frozen=True, slots=True)
class _Lexeme:
    kind: LexKind
    text: str
    position: int
    distance: int = 0  # NEAR only

    def describe(self) -> str:
        return "end of query" if self.kind == "end" else f"«{self.text}»"


_OPEN_QUOTES = '"“”„«'
_CLOSE_QUOTES = '"“”»'
_STOP = set("()") | set(_OPEN_QUOTES)
_NEAR = re.compile(r"NEAR/(\d+)")


def _lex(query: str) -> list[_Lexeme]:
    lexemes: list[_Lexeme] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            lexemes.append(_Lexeme(ch, ch, i))  # type: ignore[arg-type]
            i += 1
        elif ch in _OPEN_QUOTES:
            end = next((j for j in range(i + 1, n) if query[j] in _CLOSE_QUOTES), -1)
            if end < 0:
                raise QuerySyntaxError(
                    n, f"a closing quote for the phrase opened at character {i + 1}", "end of query"
                )
            lexemes.append(_Lexeme("phrase", query[i : end + 1], i))
            i = end + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in _STOP:
                j += 1
            lexemes.append(_word_lexeme(query[i:j], i))
            i = j
    lexemes.append(_Lexeme("end", "", n))
    return lexemes


def _word_lexeme(text: str, position: int) -> _Lexeme:
    if text in ("AND", "OR", "NOT"):
        return _Lexeme(text, text, position)  # type: ignore[arg-type]
    if text == "NEAR" or text.startswith("NEAR/"):
        near = _NEAR.fullmatch(text)
        if near is None:
            raise QuerySyntaxError(position, "NEAR/n with a number of words, such as NEAR/3", f"«{text}»")
        distance = int(near.group(1))
        if distance > MAX_NEAR:
            raise QuerySyntaxError(position + 5, f"a NEAR distance of at most {MAX_NEAR}", str(distance))
        return _Lexeme("NEAR", text, position, distance)
    return _Lexeme("term", text, position)


# -- terms --------------------------------------------------------------------------------------------------

_HASHTAG = re.compile(r"\w*[^\W\d_]\w*")
_HANDLE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_LANG = re.compile(r"[a-z]{2}|und|unknown")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]")
FIELDS = ("lang", "author", "site")


def words_term(words: list[str]) -> Word | Phrase:
    """The term for folded tokens in a row: a word, or a phrase of two or more."""
    return Word(words[0]) if len(words) == 1 else Phrase(tuple(words))


def _phrase_term(lexeme: _Lexeme) -> Word | Phrase:
    inner = lexeme.text[1:-1]
    if "*" in inner:
        where = lexeme.position + 1 + inner.index("*")
        raise QuerySyntaxError(where, "no wildcard inside a phrase (write boycot* outside quotes)", "«*»")
    words = tokens(inner)
    if not words:
        raise QuerySyntaxError(lexeme.position, "a word inside the quotes", lexeme.describe())
    return words_term(words)


def _field_term(name: str, value: str, position: int) -> Term:
    at = position + len(name) + 1
    field = name.lower()
    if field not in FIELDS:
        raise QuerySyntaxError(position, "a field among lang:, author: or site:", f"«{name}:»")
    if not value:
        raise QuerySyntaxError(at, f"a value after {field}:", "nothing")
    if field == "lang":
        code = value.lower()
        if not _LANG.fullmatch(code):
            raise QuerySyntaxError(at, "a two-letter language code such as fr (or unknown)", f"«{value}»")
        return Lang(UNKNOWN_LANG if code == "und" else code)
    if field == "author":
        handle = value.removeprefix("@")
        if not _HANDLE.fullmatch(handle):
            raise QuerySyntaxError(at, "a handle (letters, digits, _ . -)", f"«{value}»")
        return Author(handle.lower())
    domain = value.lower().rstrip(".")
    if not _DOMAIN.fullmatch(domain):
        raise QuerySyntaxError(at, "a domain such as example.com", f"«{value}»")
    return Site(domain)


def _plain_term(lexeme: _Lexeme) -> Term:
    text, position = lexeme.text, lexeme.position
    if text.startswith("#"):
        if not _HASHTAG.fullmatch(text[1:]):
            raise QuerySyntaxError(position, "a hashtag: # then letters, digits or _", lexeme.describe())
        return Hashtag(fold(text[1:]))
    if text.startswith("@"):
        if not _HANDLE.fullmatch(text[1:]):
            raise QuerySyntaxError(position, "a handle: @ then letters, digits, _ . or -", lexeme.describe())
        return Handle(text[1:].lower())
    field = _FIELD.fullmatch(text)
    if field is not None:
        return _field_term(field.group(1), field.group(2), position)
    star = text.find("*")
    if star >= 0:
        if star != len(text) - 1:
            raise QuerySyntaxError(position + star, "a wildcard only at the end of a word (boycot*)", "«*»")
        stem = tokens(text[:-1])
        if len(stem) != 1 or len(stem[0]) < MIN_PREFIX_CHARS:
            raise QuerySyntaxError(
                position, f"one word of at least {MIN_PREFIX_CHARS} letters before *", lexeme.describe()
            )
        return Prefix(stem[0])
    words = tokens(text)
    if not words:
        raise QuerySyntaxError(position, "a term with letters or digits", lexeme.describe())
    return words_term(words)


# -- parsing ------------------------------------------------------------------------------------------------

_STARTS_TERM = ("(", "phrase", "NOT", "term")
_NEAR_SIDE = 'a word, prefix* or "phrase" (or an OR of them in parentheses)'


def _is_near_side(node: Node) -> TypeGuard[NearSide]:
    if isinstance(node, Or):
        return all(isinstance(operand, Word | Prefix | Phrase) for operand in node.operands)
    return isinstance(node, Word | Prefix | Phrase)


class _Parser:
    """Recursive descent: or_expr := and_expr (OR and_expr)*; and_expr := near_expr ([AND] near_expr)*;
    near_expr := unary [NEAR/n unary]; unary := NOT unary | "(" or_expr ")" | term."""

    def __init__(self, lexemes: list[_Lexeme]) -> None:
        self.lexemes = lexemes
        self.index = 0
        self.depth = 0
        self.terms = 0

    def peek(self) -> _Lexeme:
        return self.lexemes[self.index]

    def take(self) -> _Lexeme:
        lexeme = self.lexemes[self.index]
        self.index += 1
        return lexeme

    def or_expr(self, after: str) -> Node:
        operands = [self.and_expr(after)]
        while self.peek().kind == "OR":
            self.take()
            operands.append(self.and_expr("after OR"))
        return operands[0] if len(operands) == 1 else Or(_flatten(operands, Or))

    def and_expr(self, after: str) -> Node:
        operands = [self.near_expr(after)]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
                operands.append(self.near_expr("after AND"))
            elif kind in _STARTS_TERM:
                operands.append(self.near_expr("after a term"))
            else:
                break
        return operands[0] if len(operands) == 1 else And(_flatten(operands, And))

    def near_expr(self, after: str) -> Node:
        start = self.peek()
        left = self.unary(after)
        if self.peek().kind != "NEAR":
            return left
        near = self.take()
        if not _is_near_side(left):
            raise QuerySyntaxError(start.position, f"{_NEAR_SIDE} before {near.text}", start.describe())
        operand = self.peek()
        right = self.unary(f"after {near.text}")
        if not _is_near_side(right):
            raise QuerySyntaxError(operand.position, f"{_NEAR_SIDE} after {near.text}", operand.describe())
        if self.peek().kind == "NEAR":
            extra = self.peek()
            raise QuerySyntaxError(
                extra.position, "AND or OR between two NEAR groups (NEAR links two terms)", extra.describe()
            )
        return Near(left, right, near.distance)

    def unary(self, after: str) -> Node:
        lexeme = self.take()
        if lexeme.kind == "NOT":
            self.enter(lexeme)
            operand = self.unary("after NOT")
            self.depth -= 1
            return Not(operand)
        if lexeme.kind == "(":
            self.enter(lexeme)
            inner = self.or_expr('after "("')
            close = self.take()
            if close.kind != ")":
                raise QuerySyntaxError(
                    close.position,
                    f'a term, AND, OR or ")" to close the "(" at character {lexeme.position + 1}',
                    close.describe(),
                )
            self.depth -= 1
            return inner
        if lexeme.kind in ("phrase", "term"):
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QuerySyntaxError(lexeme.position, f"at most {MAX_TERMS} terms", f"term {self.terms}")
            return _phrase_term(lexeme) if lexeme.kind == "phrase" else _plain_term(lexeme)
        raise QuerySyntaxError(lexeme.position, f'a term or "(" {after}', lexeme.describe())

    def enter(self, lexeme: _Lexeme) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(
                lexeme.position, f"at most {MAX_DEPTH} nested parentheses or NOTs", lexeme.describe()
            )


def _flatten(operands: list[Node], kind: type[And] | type[Or]) -> tuple[Node, ...]:
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
    return tuple(flat)


def parse(query: str) -> Node:
    """The tree of a query, or `QuerySyntaxError`."""
    if len(query) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(MAX_QUERY_CHARS, f"at most {MAX_QUERY_CHARS} characters", f"{len(query)}")
    parser = _Parser(_lex(query))
    if parser.peek().kind == "end":
        raise QuerySyntaxError(0, "a term", "an empty query")
    node = parser.or_expr("at the start")
    end = parser.peek()
    if end.kind != "end":
        raise QuerySyntaxError(end.position, 'end of query (this ")" closes nothing)', end.describe())
    return node


# -- reading a tree -----------------------------------------------------------------------------------------


def render(node: Node) -> str:
    """The canonical text of a tree, explicit ANDs and just enough parentheses; `parse(render(t)) == t`."""
    match node:
        case Word(text):
            return text
        case Prefix(stem):
            return f"{stem}*"
        case Phrase(words):
            return '"' + " ".join(words) + '"'
        case Hashtag(tag):
            return f"#{tag}"
        case Handle(handle):
            return f"@{handle}"
        case Author(handle):
            return f"author:{handle}"
        case Lang(code):
            return f"lang:{code}"
        case Site(domain):
            return f"site:{domain}"
        case Near(left, right, distance):
            return f"{_render_side(left)} NEAR/{distance} {_render_side(right)}"
        case Not(operand):
            inner = render(operand)
            return f"NOT ({inner})" if isinstance(operand, Near | And | Or) else f"NOT {inner}"
        case And(operands):
            return " AND ".join(f"({render(o)})" if isinstance(o, Or) else render(o) for o in operands)
        case Or(operands):
            return " OR ".join(render(o) for o in operands)
    raise TypeError(f"expected a query node, got {type(node).__name__}")


def _render_side(side: NearSide) -> str:
    return f"({render(side)})" if isinstance(side, Or) else render(side)


def leaves(node: Node, negated: bool = False) -> list[tuple[Term, bool]]:
    """Every term of the tree in reading order, with whether it sits under an odd number of NOTs."""
    match node:
        case Near(left, right, _):
            return leaves(left, negated) + leaves(right, negated)
        case Not(operand):
            return leaves(operand, not negated)
        case And(operands) | Or(operands):
            return [leaf for operand in operands for leaf in leaves(operand, negated)]
    return [(node, negated)]


def terms(node: Node) -> list[str]:
    """The distinct terms of a query, as written canonically, in reading order."""
    return list(dict.fromkeys(render(term) for term, _ in leaves(node)))


def positive_terms(node: Node) -> list[Term]:
    """The terms that make a mention match (not under NOT): what masking removes before scoring."""
    return list(dict.fromkeys(term for term, negated in leaves(node) if not negated))


Anchor = tuple[Literal["word", "prefix", "tag", "handle", "site", "lang"], str]


def anchors(node: Node) -> frozenset[Anchor] | None:
    """A set of terms at least one of which a mention must have for the query to be true, or None when
    there is none (`NOT spam`): such a query has to be tried on every mention."""
    match node:
        case Word(text):
            return frozenset({("word", text)})
        case Prefix(stem):
            return frozenset({("prefix", stem)})
        case Phrase(words):
            return frozenset({("word", max(words, key=len))})
        case Hashtag(tag):
            return frozenset({("tag", tag)})
        case Handle(handle) | Author(handle):
            return frozenset({("handle", handle)})
        case Site(domain):
            return frozenset({("site", domain)})
        case Lang(code):
            return frozenset({("lang", code)})
        case Near(left, right, _):
            return min((anchors(left), anchors(right)), key=_anchor_cost)
        case And(operands):
            found = [a for a in map(anchors, operands) if a is not None]
            return min(found, key=_anchor_cost) if found else None
        case Or(operands):
            union: set[Anchor] = set()
            for operand in operands:
                anchor = anchors(operand)
                if anchor is None:
                    return None
                union |= anchor
            return frozenset(union)
    return None  # Not


def sufficient_anchors(node: Node) -> frozenset[Anchor]:
    """Anchors whose presence alone makes the query true (`Aerolis OR #aerolis OR "Aerolis Air"`: the word
    and the hashtag, not the phrase): a mention found by one of them matches without evaluating the query.
    Empty when no single term decides (AND, NEAR, NOT, a phrase, `author:`)."""
    match node:
        case Word(text):
            return frozenset({("word", text)})
        case Prefix(stem):
            return frozenset({("prefix", stem)})
        case Hashtag(tag):
            return frozenset({("tag", tag)})
        case Handle(handle):
            return frozenset({("handle", handle)})
        case Site(domain):
            return frozenset({("site", domain)})
        case Lang(code):
            return frozenset({("lang", code)})
        case Or(operands):
            return frozenset().union(*map(sufficient_anchors, operands))
    return frozenset()  # Phrase, Author (its anchor is any handle), Near, Not, And


def _anchor_cost(anchor: frozenset[Anchor] | None) -> tuple[int, int, int, int]:
    """Anchors in the text before a site, a site before a language (half the mentions share one), then
    fewer anchors, then longer (rarer) ones."""
    if anchor is None:
        return (1 << 30, 0, 0, 0)
    langs = sum(kind == "lang" for kind, _ in anchor)
    sites = sum(kind == "site" for kind, _ in anchor)
    return (langs, sites, len(anchor), -sum(len(value) for _, value in anchor))


#: Operators a person may type in lower case, meaning them as operators.
_OPERATOR_WORDS = ("and", "or", "not")
_QUOTED = re.compile(r'"[^"]*"?')


def operator_warnings(query: str) -> list[str]:
    """Words that read as operators but are not, because operators are upper case: `Aerolis and delay`
    looks for the word "and" too. One warning per such word, naming what to write instead."""
    unquoted = _QUOTED.sub(" ", query)
    warnings = []
    for word in _OPERATOR_WORDS:
        found = sorted(set(re.findall(rf"(?<![\w#@:*]){word}(?![\w*:])", unquoted, re.IGNORECASE)))
        found = [spelled for spelled in found if spelled != word.upper()]
        if found:
            spelled = found[0]
            warnings.append(
                f'"{spelled}" is read as a word to find, not as an operator: write {word.upper()} to '
                f'{_MEANING[word]}, or "{spelled}" in quotes to find the word'
            )
    return warnings


_MEANING = {"and": "require both sides", "or": "accept either side", "not": "exclude what follows"}
