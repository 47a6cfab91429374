"""Jetstream events (the shape bluesky-social/jetstream sends) to mentions."""

from __future__ import annotations

from typing import Any

import pytest

from services.connectors.bluesky import jetstream_event_to_mention, subscribe_url
from services.ingest.records import MentionError

DID = "did:plc:eygmaihciaxprqvxpfvl6flk"


def facet(text: str, fragment: str, feature: dict[str, Any]) -> dict[str, Any]:
    """A facet over `fragment` of `text`, indexed in UTF-8 bytes as Bluesky clients write them."""
    start = text.encode().index(fragment.encode())
    return {
        "$type": "app.bsky.richtext.facet",
        "index": {"byteStart": start, "byteEnd": start + len(fragment.encode())},
        "features": [feature],
    }


def post_event(record: dict[str, Any], rkey: str = "3l3qo2vutsw2b", time_us: int = 1725911162329308):
    return {
        "did": DID,
        "time_us": time_us,
        "kind": "commit",
        "commit": {
            "rev": "3l3qo2vuowo2b",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": {"$type": "app.bsky.feed.post", "createdAt": "2024-09-09T19:46:02.102Z", **record},
            "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi",
        },
    }


EMOJI_TEXT = "🚀🔥 Vol retardé encore, merci @aerolis.bsky.social #Aerolis #fail voir https://example.com/x"


def test_facets_are_read_by_utf8_byte_offsets_not_characters() -> None:
    text = EMOJI_TEXT
    record = {
        "text": text,
        "langs": ["fr"],
        "facets": [
            facet(
                text, "@aerolis.bsky.social", {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:a"}
            ),
            facet(text, "#Aerolis", {"$type": "app.bsky.richtext.facet#tag", "tag": "Aerolis"}),
            facet(text, "#fail", {"$type": "app.bsky.richtext.facet#tag", "tag": "fail"}),
            facet(
                text,
                "https://example.com/x",
                {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/x?utm=full"},
            ),
        ],
    }
    assert len(text.encode()) != len(text)  # the emoji make bytes and characters differ
    mention = jetstream_event_to_mention(post_event(record))
    assert mention is not None
    assert mention.id == f"bsky:{DID}/3l3qo2vutsw2b"
    assert mention.source == "bluesky"
    assert mention.text == text
    assert mention.lang == "fr"
    assert mention.hashtags == ["aerolis", "fail"]
    assert mention.mentions == ["aerolis.bsky.social"]
    assert mention.links == ["https://example.com/x?utm=full"]
    assert mention.url == f"https://bsky.app/profile/{DID}/post/3l3qo2vutsw2b"
    assert mention.author.handle == DID
    assert mention.created_at is not None and mention.created_at.year == 2024


def test_a_reply_points_at_its_parent_and_a_quote_becomes_a_link() -> None:
    record = {
        "text": "Same here",
        "reply": {
            "root": {"cid": "bafyroot", "uri": "at://did:plc:root/app.bsky.feed.post/3kroot"},
            "parent": {"cid": "bafyparent", "uri": "at://did:plc:parent/app.bsky.feed.post/3kparent"},
        },
        "embed": {
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {
                "$type": "app.bsky.embed.record",
                "record": {"cid": "bafyq", "uri": "at://did:plc:quoted/app.bsky.feed.post/3kq"},
            },
            "media": {"$type": "app.bsky.embed.images", "images": []},
        },
    }
    mention = jetstream_event_to_mention(post_event(record))
    assert mention is not None
    assert mention.reply_to == "bsky:did:plc:parent/3kparent"
    assert mention.links == ["https://bsky.app/profile/did:plc:quoted/post/3kq"]


def test_without_facets_entities_come_from_the_text() -> None:
    mention = jetstream_event_to_mention(post_event({"text": "Loving #Acme, thanks @bob.bsky.social"}))
    assert mention is not None
    assert mention.hashtags == ["acme"]
    assert mention.mentions == ["bob.bsky.social"]


@pytest.mark.parametrize(
    "event",
    [
        {"did": DID, "time_us": 1, "kind": "identity", "identity": {"did": DID, "handle": "a.bsky.social"}},
        {"did": DID, "time_us": 1, "kind": "account", "account": {"active": True, "did": DID}},
        {
            "did": DID,
            "time_us": 1,
            "kind": "commit",
            "commit": {"operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3k"},
        },
        {
            "did": DID,
            "time_us": 1,
            "kind": "commit",
            "commit": {"operation": "create", "collection": "app.bsky.feed.like", "rkey": "3k", "record": {}},
        },
        post_event({"text": "   ", "embed": {"$type": "app.bsky.embed.images", "images": []}}),
    ],
    ids=["identity", "account", "delete", "like", "image-only"],
)
def test_events_that_are_not_new_posts_with_text_give_no_mention(event: dict[str, Any]) -> None:
    assert jetstream_event_to_mention(event) is None


def test_a_malformed_post_is_refused_with_the_field() -> None:
    with pytest.raises(MentionError, match="text"):
        jetstream_event_to_mention(post_event({"text": 42}))


def test_a_resume_asks_for_posts_from_a_little_before_the_cursor() -> None:
    url = subscribe_url("wss://jetstream2.us-east.bsky.network/subscribe", 1_725_911_162_329_308, rewind_s=5)
    assert url == (
        "wss://jetstream2.us-east.bsky.network/subscribe"
        "?wantedCollections=app.bsky.feed.post&cursor=1725911157329308"
    )
    assert "cursor" not in subscribe_url("ws://127.0.0.1:9/", None)
