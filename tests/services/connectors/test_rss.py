"""RSS 2.0 and Atom documents to mentions, with the feed's site as the author."""

from __future__ import annotations

import pytest

from services.connectors.base import SourceError
from services.connectors.rss import item_id, item_to_mention, parse_feed

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Le Journal du Ciel</title>
  <link>https://www.journalduciel.fr/</link>
  <description>Transport a&#233;rien</description>
  <item>
    <title>Aerolis : les retards s&#8217;accumulent</title>
    <link>https://www.journalduciel.fr/2024/09/aerolis-retards</link>
    <guid isPermaLink="true">https://www.journalduciel.fr/2024/09/aerolis-retards</guid>
    <pubDate>Wed, 11 Sep 2024 08:30:00 +0200</pubDate>
    <dc:creator>Marie Dupont</dc:creator>
    <description><![CDATA[<p>Les passagers d'<b>Aerolis</b>
      d&eacute;noncent <a href="https://x.example/a">les retards</a>.</p>]]></description>
  </item>
  <item>
    <title>Second article</title>
    <link>https://www.journalduciel.fr/2024/09/second</link>
    <guid isPermaLink="false">1234</guid>
  </item>
</channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Acme Engineering Blog</title>
  <link href="https://blog.acme.example/" rel="alternate"/>
  <link href="https://blog.acme.example/atom.xml" rel="self"/>
  <id>urn:uuid:60a76c80-d399-11d9-b91C-0003939e0af6</id>
  <updated>2024-09-11T10:00:00Z</updated>
  <entry>
    <title type="html">Why we love &lt;b&gt;Acme&lt;/b&gt;</title>
    <link href="https://blog.acme.example/2024/love"/>
    <id>tag:blog.acme.example,2024:love</id>
    <published>2024-09-11T09:59:00Z</published>
    <updated>2024-09-11T10:00:00Z</updated>
    <author><name>Jo</name></author>
    <summary>Acme's new #rocket is out.</summary>
  </entry>
</feed>"""


def test_an_rss_item_becomes_a_mention_authored_by_the_site() -> None:
    feed = parse_feed(RSS)
    assert feed.title == "Le Journal du Ciel"
    first = feed.items[0]
    mention = item_to_mention(first, feed, "https://www.journalduciel.fr/feed")
    assert mention is not None
    assert mention.source == "rss"
    assert mention.id == item_id("https://www.journalduciel.fr/feed", first.key)
    assert mention.text == (
        "Aerolis : les retards s\u2019accumulent\n\nLes passagers d'Aerolis dénoncent les retards."
    )
    assert mention.author.handle == "journalduciel.fr"
    assert mention.author.domain == "journalduciel.fr"
    assert mention.author.name == "Le Journal du Ciel"
    assert mention.url == "https://www.journalduciel.fr/2024/09/aerolis-retards"
    assert mention.created_at is not None and mention.created_at.isoformat() == "2024-09-11T08:30:00+02:00"


def test_an_atom_entry_becomes_a_mention() -> None:
    feed = parse_feed(ATOM)
    assert feed.site == "https://blog.acme.example/"
    mention = item_to_mention(feed.items[0], feed, "https://blog.acme.example/atom.xml")
    assert mention is not None
    assert mention.text == "Why we love Acme\n\nAcme's new #rocket is out."
    assert mention.hashtags == ["rocket"]
    assert mention.author.handle == "blog.acme.example"
    assert mention.url == "https://blog.acme.example/2024/love"


def test_ids_are_stable_and_short_guids_are_scoped_to_their_feed() -> None:
    url = "https://www.journalduciel.fr/2024/09/aerolis-retards"
    assert item_id("https://a.example/feed", url) == item_id("https://b.example/feed", url)
    assert item_id("https://a.example/feed", "1234") != item_id("https://b.example/feed", "1234")
    assert item_id("https://a.example/feed", "1234").startswith("rss:")


@pytest.mark.parametrize(
    ("body", "expected"),
    [(b"<html><body>not a feed</body></html>", "got <html>"), (b"<rss><channel>", "unreadable XML")],
)
def test_what_is_not_a_feed_is_refused_saying_what_arrived(body: bytes, expected: str) -> None:
    with pytest.raises(SourceError, match=expected):
        parse_feed(body)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><guid>https://evil.example/1</guid></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title>
<item><title>&secret;</title><guid>https://evil.example/2</guid></item></channel></rss>"""

EXTERNAL_DTD_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<rss version="2.0"><channel><title>x</title></channel></rss>"""


@pytest.mark.parametrize(
    ("body", "entity"),
    [(BILLION_LAUGHS, "lol"), (EXTERNAL_ENTITY, "/etc/passwd"), (EXTERNAL_DTD_PARAMETER, "evil.dtd")],
    ids=["entity-expansion-bomb", "external-entity", "external-dtd"],
)
def test_entity_bombs_and_external_entities_are_refused_not_expanded(body: bytes, entity: str) -> None:
    with pytest.raises(SourceError, match="without entity declarations or external references") as refused:
        parse_feed(body)
    message = str(refused.value)
    assert entity in message  # says which entity it refused
    assert "lollol" not in message and "root:" not in message  # nothing was expanded or read


def test_an_old_rss_091_feed_with_a_public_doctype_is_still_read() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel>'
        b"<title>Old</title><link>https://old.example/</link><item><title>Acme news</title>"
        b"<link>https://old.example/1</link></item></channel></rss>"
    )
    feed = parse_feed(body)
    assert [item.title for item in feed.items] == ["Acme news"]
