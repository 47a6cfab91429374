"""What the full-text index can rule out before the real matcher looks: a query's *requirement*.

`requirement(query)` is a boolean formula over index terms (services/archive/records.py `lexemes`) that every
mention satisfying the query satisfies too: a word needs its term, a prefix any term that starts with it, a
phrase or NEAR all of its words, a NOT nothing (the index cannot prove an absence). So the index returns a
superset of the answers, and the matcher (services/understanding/matching.py) keeps exactly the right ones.
The formula is written for SQLite FTS5 (`to_fts5`) or a PostgreSQL tsquery (`to_tsquery`).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.archive.records import indexable
from services.understanding.query import (
    And,
    Author,
    Handle,
    Hashtag,
    Lang,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Site,
    Word,
)


@dataclass(frozen=True, slots=True)
class Term:
    lexeme: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Requirement, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Requirement, ...]


Requirement = Term | AllOf | AnyOf


def _term(lexeme: str, prefix: bool = False) -> Term | None:
    return Term(lexeme, prefix) if indexable(lexeme) else None


def all_of(parts: list[Requirement | None]) -> Requirement | None:
    """The conjunction of what is known (None = no requirement)."""
    known = [part for part in parts if part is not None]
    if not known:
        return None
    return known[0] if len(known) == 1 else AllOf(tuple(known))


def requirement(node: Node) -> Requirement | None:
    """A formula over index terms implied by the query, or None when the index cannot narrow it."""
    match node:
        case Word(text):
            return _term(text)
        case Prefix(stem):
            return _term(stem, prefix=True)
        case Phrase(words):
            return all_of([_term(word) for word in words])
        case Hashtag(tag):
            return _term(f"#{tag}")
        case Handle(handle) | Author(handle):
            return _term(f"@{handle}")
        case Site(domain):
            return _term(f"site:{domain}")
        case Lang(code):
            return _term(f"lang:{code}")
        case Near(left, right, _):
            return all_of([requirement(left), requirement(right)])
        case Not():
            return None
        case And(operands):
            return all_of([requirement(operand) for operand in operands])
        case Or(operands):
            parts = [requirement(operand) for operand in operands]
            if any(part is None for part in parts):
                return None
            return AnyOf(tuple(part for part in parts if part is not None))
    raise TypeError(f"expected a query node, got {type(node).__name__}")


def to_fts5(formula: Requirement) -> str:
    """An FTS5 MATCH expression (terms are quoted strings: one token each under the `ascii` tokenizer)."""
    match formula:
        case Term(lexeme, prefix):
            quoted = '"' + lexeme.replace('"', '""') + '"'
            return f"{quoted}*" if prefix else quoted
        case AllOf(parts):
            return "(" + " AND ".join(map(to_fts5, parts)) + ")"
        case AnyOf(parts):
            return "(" + " OR ".join(map(to_fts5, parts)) + ")"
    raise TypeError(f"expected a requirement, got {type(formula).__name__}")


def to_tsquery(formula: Requirement) -> str:
    """The text of a PostgreSQL tsquery (cast with `::tsquery`, so terms are taken as they are)."""
    match formula:
        case Term(lexeme, prefix):
            quoted = "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
            return f"{quoted}:*" if prefix else quoted
        case AllOf(parts):
            return "(" + " & ".join(map(to_tsquery, parts)) + ")"
        case AnyOf(parts):
            return "(" + " | ".join(map(to_tsquery, parts)) + ")"
    raise TypeError(f"expected a requirement, got {type(formula).__name__}")
