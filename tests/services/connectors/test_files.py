"""Replay files: CSV and Twitter API v1.1 / v2 exports to mentions, bad records named."""

from __future__ import annotations

from pathlib import Path

import orjson

from services.connectors.files import read_csv, read_file, read_twitter
from services.ingest.records import Mention, MentionError

V2_PAGE = {
    "data": [
        {
            "id": "1834159231459451234",
            "text": "Stuck at CDG again @aerolis #fail https://t.co/abc",
            "author_id": "2244994945",
            "created_at": "2024-09-12T10:00:00.000Z",
            "lang": "en",
            "edit_history_tweet_ids": ["1834159231459451234"],
            "public_metrics": {"retweet_count": 3, "reply_count": 1, "like_count": 9, "quote_count": 1},
            "entities": {
                "hashtags": [{"start": 28, "end": 33, "tag": "fail"}],
                "mentions": [{"start": 19, "end": 27, "username": "Aerolis", "id": "99"}],
                "urls": [
                    {
                        "start": 34,
                        "end": 50,
                        "url": "https://t.co/abc",
                        "expanded_url": "https://example.com/cdg",
                        "display_url": "example.com/cdg",
                    }
                ],
            },
            "referenced_tweets": [{"type": "replied_to", "id": "1834150000000000000"}],
        },
        {
            "id": "1834159231459450000",
            "text": "RT @someone: old news",
            "author_id": "2244994945",
            "referenced_tweets": [{"type": "retweeted", "id": "1"}],
        },
    ],
    "includes": {
        "users": [
            {
                "id": "2244994945",
                "name": "Dev Traveller",
                "username": "devtraveller",
                "description": "I fly a lot",
                "public_metrics": {"followers_count": 5120},
            }
        ]
    },
    "meta": {"result_count": 2},
}

V1_STATUS = {
    "created_at": "Wed Oct 10 20:19:24 +0000 2018",
    "id": 1050118621198921728,
    "id_str": "1050118621198921728",
    "text": "Aerolis lost my bag #fail https://t.co/x…",
    "truncated": True,
    "extended_tweet": {
        "full_text": "Aerolis lost my bag #fail https://t.co/xyz and nobody answers",
        "entities": {
            "hashtags": [{"text": "fail", "indices": [20, 25]}],
            "user_mentions": [],
            "urls": [{"url": "https://t.co/xyz", "expanded_url": "https://example.com/bag"}],
        },
    },
    "user": {
        "id_str": "6253282",
        "screen_name": "bagless",
        "name": "Bag Less",
        "followers_count": 42,
        "description": "traveller",
    },
    "in_reply_to_status_id_str": None,
    "lang": "en",
    "retweet_count": 2,
    "favorite_count": 7,
}


def mentions_of(items: list[Mention | MentionError]) -> list[Mention]:
    return [item for item in items if isinstance(item, Mention)]


def test_a_v2_response_gives_tweets_with_their_authors_and_skips_retweets(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(orjson.dumps(V2_PAGE))
    (mention,) = mentions_of(list(read_twitter(path)))
    assert mention.id == "twitter:1834159231459451234"
    assert mention.source == "twitter"
    assert mention.author.handle == "devtraveller"
    assert mention.author.followers == 5120
    assert mention.hashtags == ["fail"]
    assert mention.mentions == ["aerolis"]
    assert mention.links == ["https://example.com/cdg"]
    assert mention.reply_to == "twitter:1834150000000000000"
    assert (mention.engagement.likes, mention.engagement.reposts, mention.engagement.replies) == (9, 4, 1)
    assert mention.url == "https://twitter.com/devtraveller/status/1834159231459451234"


def test_v1_statuses_as_json_lines_use_the_extended_text(tmp_path: Path) -> None:
    path = tmp_path / "stream.json"
    retweet = {**V1_STATUS, "id_str": "2", "retweeted_status": V1_STATUS}
    path.write_bytes(b"\n".join([orjson.dumps(V1_STATUS), orjson.dumps(retweet), b"{broken"]))
    items = list(read_twitter(path))
    (mention,) = mentions_of(items)
    assert mention.text == "Aerolis lost my bag #fail https://t.co/xyz and nobody answers"
    assert mention.author.handle == "bagless"
    assert mention.created_at is not None and mention.created_at.isoformat() == "2018-10-10T20:19:24+00:00"
    assert mention.links == ["https://example.com/bag"]
    errors = [item for item in items if isinstance(item, MentionError)]
    assert [error.field for error in errors] == ["line 3: json"]


def test_a_v1_search_answer_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "search.json"
    path.write_bytes(orjson.dumps({"statuses": [V1_STATUS], "search_metadata": {"count": 1}}))
    assert [m.id for m in mentions_of(list(read_file(path)))] == ["twitter:1050118621198921728"]


def test_csv_columns_name_fields_and_bad_rows_are_named(tmp_path: Path) -> None:
    path = tmp_path / "mentions.csv"
    path.write_text(
        "id,text,author,author.followers,created_at,engagement.likes,hashtags\n"
        'c1,"Acme, again",ann,12,2024-09-12T10:00:00Z,3,acme fail\n'
        "c2,no followers number,bob,many,2024-09-12T10:00:01Z,0,\n"
        "c3,,carl,1,2024-09-12T10:00:02Z,0,\n",
        encoding="utf-8",
    )
    items = list(read_csv(path))
    (mention,) = mentions_of(items)
    assert (mention.id, mention.text, mention.author.handle, mention.author.followers) == (
        "c1",
        "Acme, again",
        "ann",
        12,
    )
    assert mention.hashtags == ["acme", "fail"]
    errors = [item for item in items if isinstance(item, MentionError)]
    assert [error.field for error in errors] == ["line 3: author.followers", "line 4: text"]
