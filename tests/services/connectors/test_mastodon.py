"""Mastodon Status entities (as the streaming API and REST timelines send them) to mentions."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from services.connectors.base import SourceError
from services.connectors.html_text import html_to_text
from services.connectors.mastodon import (
    status_from_ws_message,
    status_to_mention,
    subscribe_message,
    timeline_paths,
    websocket_url,
)
from services.ingest.records import MentionError

CONTENT = (
    '<p>Encore en retard &amp; sans info 😤 <span class="h-card" translate="no">'
    '<a href="https://mastodon.social/@aerolis" class="u-url mention">@<span>aerolis</span></a></span> '
    '<a href="https://piaille.fr/tags/Aerolis" class="mention hashtag" rel="tag">'
    "#<span>Aerolis</span></a></p>"
    '<p>Photos: <a href="https://example.com/photos/2024/retard" target="_blank" rel="nofollow noopener">'
    '<span class="invisible">https://</span><span class="ellipsis">example.com/photos/2</span>'
    '<span class="invisible">024/retard</span></a><br>merci<script>alert(1)</script></p>'
)


def status(**overrides: Any) -> dict[str, Any]:
    base = {
        "id": "113120094178226736",
        "created_at": "2024-09-11T08:15:02.000Z",
        "in_reply_to_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "fr",
        "uri": "https://piaille.fr/users/marie/statuses/113120094178226736",
        "url": "https://piaille.fr/@marie/113120094178226736",
        "replies_count": 2,
        "reblogs_count": 5,
        "favourites_count": 11,
        "content": CONTENT,
        "reblog": None,
        "account": {
            "id": "109",
            "username": "marie",
            "acct": "marie@piaille.fr",
            "display_name": "Marie D.",
            "followers_count": 1234,
            "note": "<p>Journaliste &lt;transport&gt;</p>",
            "url": "https://piaille.fr/@marie",
        },
        "media_attachments": [],
        "mentions": [
            {
                "id": "1",
                "username": "aerolis",
                "url": "https://mastodon.social/@aerolis",
                "acct": "aerolis@mastodon.social",
            }
        ],
        "tags": [{"name": "aerolis", "url": "https://mastodon.social/tags/aerolis"}],
        "emojis": [],
    }
    return {**base, **overrides}


def test_html_content_becomes_plain_text_with_its_links() -> None:
    text, links = html_to_text(CONTENT)
    assert text == (
        "Encore en retard & sans info 😤 @aerolis #Aerolis\n\n"
        "Photos: https://example.com/photos/2024/retard\nmerci"
    )
    assert links == ["https://example.com/photos/2024/retard"]


def test_a_status_becomes_a_mention() -> None:
    mention = status_to_mention(status(), "mastodon.social")
    assert mention is not None
    assert mention.id == "mastodon:mastodon.social:113120094178226736"
    assert mention.source == "mastodon"
    assert "<" not in mention.text and "alert" not in mention.text
    assert mention.author.handle == "marie@piaille.fr"
    assert mention.author.name == "Marie D."
    assert mention.author.followers == 1234
    assert mention.author.bio == "Journaliste <transport>"
    assert mention.author.domain == "piaille.fr"
    assert mention.hashtags == ["aerolis"]
    assert mention.mentions == ["aerolis@mastodon.social"]
    assert mention.links == ["https://example.com/photos/2024/retard"]
    assert (mention.engagement.likes, mention.engagement.reposts, mention.engagement.replies) == (11, 5, 2)
    assert mention.lang == "fr"
    assert mention.url == "https://piaille.fr/@marie/113120094178226736"


def test_a_local_account_gets_the_instance_in_its_handle_and_a_reply_its_parent() -> None:
    local = status(in_reply_to_id="113120000000000000")
    local["account"] = {**local["account"], "acct": "marie", "url": "https://mastodon.social/@marie"}
    mention = status_to_mention(local, "mastodon.social")
    assert mention is not None
    assert mention.author.handle == "marie@mastodon.social"
    assert mention.reply_to == "mastodon:mastodon.social:113120000000000000"


def test_odd_tag_and_mention_fields_cost_those_fields_not_the_status() -> None:
    mention = status_to_mention(status(tags=7, mentions=["aerolis", {"acct": "Ops@example.org"}]), "x.social")
    assert mention is not None
    assert mention.hashtags == []
    assert mention.mentions == ["ops@example.org"]


def test_boosts_and_media_only_posts_give_no_mention() -> None:
    assert status_to_mention(status(reblog=status()), "mastodon.social") is None
    assert status_to_mention(status(content=""), "mastodon.social") is None


def test_the_websocket_variant_carries_the_status_as_a_json_string() -> None:
    frame = {"stream": ["public"], "event": "update", "payload": orjson.dumps(status()).decode()}
    assert status_from_ws_message(orjson.dumps(frame)) == status()
    assert status_from_ws_message(b'{"stream": ["public"], "event": "delete", "payload": "1"}') is None


@pytest.mark.parametrize(
    ("timeline", "expected"),
    [
        ("public", ("/api/v1/streaming/public", {}, "/api/v1/timelines/public", {})),
        ("local", ("/api/v1/streaming/public/local", {}, "/api/v1/timelines/public", {"local": "true"})),
        ("hashtag:acme", ("/api/v1/streaming/hashtag", {"tag": "acme"}, "/api/v1/timelines/tag/acme", {})),
    ],
)
def test_timelines_map_to_streaming_and_rest_endpoints(timeline: str, expected: tuple[Any, ...]) -> None:
    assert timeline_paths(timeline) == expected


@pytest.mark.parametrize(
    ("timeline", "expected"),
    [
        ("public", {"type": "subscribe", "stream": "public"}),
        ("local", {"type": "subscribe", "stream": "public:local"}),
        ("hashtag:#acme", {"type": "subscribe", "stream": "hashtag", "tag": "acme"}),
    ],
)
def test_websocket_subscriptions_name_the_stream_and_its_tag(timeline: str, expected: dict[str, str]) -> None:
    assert subscribe_message(timeline) == expected


def test_the_websocket_lives_at_the_streaming_path_with_the_instance_scheme() -> None:
    assert websocket_url("https://mastodon.social") == "wss://mastodon.social/api/v1/streaming"
    assert websocket_url("http://127.0.0.1:8080/") == "ws://127.0.0.1:8080/api/v1/streaming"


def test_a_refused_subscription_ends_the_connection_and_a_bad_frame_names_what_is_wrong() -> None:
    with pytest.raises(SourceError, match=r"refused the subscription.*No tag for hashtag"):
        status_from_ws_message(b'{"error": "No tag for hashtag channel", "status": 400}')
    with pytest.raises(MentionError, match="payload"):
        status_from_ws_message(b'{"stream": ["public"], "event": "update", "payload": "{not json"}')
    with pytest.raises(MentionError, match="JSON streaming frame"):
        status_from_ws_message(b"not json at all")
