"""api/websocket.md says what services/updates.py defines: every message type has a `### \\`type\\``
heading whose JSON example shows exactly its fields, and the objects inside the example (a swarm, a window,
an influencer row, ...) and the `<mention item>` shape show exactly theirs; nothing is documented that the
module does not define."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec.inspect as mi
import pytest

from services.understanding.enrich import MentionItem
from services.updates import MESSAGES, Message, WorkerStatus, decode_update, type_of

DOC = Path(__file__).parents[2] / "api" / "websocket.md"
HEADING = re.compile(r"^### `([a-z_]+)`", re.MULTILINE)
EXAMPLE = re.compile(r"```json\n(.*?)```", re.DOTALL)


def documented() -> dict[str, str]:
    """Each `### \\`type\\`` section's JSON example (the first block after the heading)."""
    text = DOC.read_text(encoding="utf-8")
    sections = HEADING.split(text)[1:]
    examples = {}
    for name, body in zip(sections[::2], sections[1::2], strict=True):
        found = EXAMPLE.search(body.split("\n## ")[0])
        assert found is not None, f"api/websocket.md: `{name}` has no JSON example"
        examples[name] = found.group(1)
    return examples


def keys_of(example: str) -> tuple[list[str], dict[str, str]]:
    """The keys of the first JSON-like object in `example` (placeholders such as `<alert>` and `"a" | null`
    allowed), each with the text of its value."""
    start = example.index("{")
    keys: list[str] = []
    values: dict[str, str] = {}
    depth, i, value_start = 0, start, 0
    while i < len(example):
        char = example[i]
        if char == '"':
            end = example.index('"', i + 1)
            if depth == 1 and example[end + 1 :].lstrip().startswith(":"):
                if keys:
                    values[keys[-1]] = example[value_start:i]
                keys.append(example[i + 1 : end])
                value_start = example.index(":", end) + 1
            i = end + 1
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                if keys:
                    values[keys[-1]] = example[value_start:i]
                return keys, values
        i += 1
    raise AssertionError(f"unbalanced example: {example[:80]!r}")


def nested(info: mi.Type) -> mi.StructType | None:
    """The struct a field holds (alone, in a list, as the values of a dict), or None."""
    if isinstance(info, mi.StructType):
        return info
    if isinstance(info, mi.ListType):
        return nested(info.item_type)
    if isinstance(info, mi.DictType):
        return nested(info.value_type)
    if isinstance(info, mi.UnionType):
        structs = [found for t in info.types if (found := nested(t)) is not None]
        return structs[0] if len(structs) == 1 else None
    return None


def check(struct: mi.StructType, example: str, where: str) -> None:
    keys, values = keys_of(example)
    fields = [f.encode_name for f in struct.fields]
    tag = struct.tag_field
    expected = ([tag] if tag else []) + fields
    assert sorted(keys) == sorted(expected), f"{where}: documented {keys}, defined {expected}"
    for field in struct.fields:
        inner = nested(field.type)
        value = values[field.encode_name].strip()
        if inner is None or inner.cls in MESSAGES or "{" not in value or value.startswith("{..."):
            continue  # a plain value, a message shown elsewhere, or a placeholder
        if isinstance(field.type, mi.DictType):  # {"<key>": {...}, ...}: the first value's object
            value = value[value.index(":") + 1 :]
        check(inner, value, f"{where}.{field.encode_name}")


@pytest.mark.parametrize("message", MESSAGES, ids=type_of)
def test_every_message_type_is_documented_with_its_fields(message: type[Message]) -> None:
    examples = documented()
    name = type_of(message)
    assert name in examples, f"api/websocket.md documents no `{name}` message"
    info = mi.type_info(message)
    assert isinstance(info, mi.StructType)
    check(info, examples[name], name)


def test_every_documented_type_exists() -> None:
    assert sorted(documented()) == sorted(type_of(m) for m in MESSAGES)


def test_the_mention_item_shape_is_documented_with_its_fields() -> None:
    text = DOC.read_text(encoding="utf-8")
    shape = text[text.index("`<mention item>`: `") :]
    info = mi.type_info(MentionItem)
    assert isinstance(info, mi.StructType)
    check(info, shape, "<mention item>")


def test_an_example_without_placeholders_decodes_as_its_message() -> None:
    assert isinstance(decode_update(documented()["status"].encode()), WorkerStatus)
