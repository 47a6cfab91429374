"""`DemoGenerator`: a deterministic stream of mentions about the demo brands, with scripted episodes.

Event time is cut into one-second ticks counted from the origin (`start`, or the beginning of the first
window asked for). Each tick is drawn from its own random source, seeded by (seed, tick), so what a tick
holds does not depend on how the caller slices time into batches; mentions of a tick that fall after the
`now` of a call wait for the next call.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.ingest.records import Author, Engagement, Mention
from services.understanding.text import extract_hashtags, extract_links, extract_mentions

from .authors import (
    OUTLETS,
    Persona,
    build_pool,
    campaign_accounts,
    cumulative_activity,
    official_persona,
)
from .brands import BRANDS, BRANDS_BY_ID, EPISODE_ROTATION, Brand
from .episodes import (
    CAMPAIGN_EMOJI,
    CAMPAIGNS,
    COVERAGE,
    ISSUES,
    PILE_ON,
    REACTIONS,
    RESPONSE,
    CampaignTemplate,
    Episode,
    Issue,
)
from .vocabulary import (
    CHATTER,
    COMPARISON_POSTS,
    EMOJI,
    GENERIC_POSTS,
    NEWS,
    OFFICIAL_POSTS,
    PREFIXES,
    SECTOR_POSTS,
    SPAM,
    TAILS,
    TOPIC_TAGS,
    Slots,
)

TICK_US = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Seconds from the origin to the first episode (or `episode_every_s` if shorter).
FIRST_EPISODE_S = 60.0
#: How long the volume takes to swing once around its mean (±10 %), so the baseline is not flat.
WAVE_PERIOD_S = 600.0
#: Official accounts post about once every this many seconds each, in ordinary times.
OFFICIAL_EVERY_S = 150.0
CHATTER_SHARE = 0.14
EN_SHARE = 0.6
TONES = ("pos", "neu", "neg")


def _to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def _at(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _sentence(text: str) -> str:
    """`text` ending like a sentence, so that another one can follow."""
    return text if text[-1] in ".!?" else text + "."


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (normal approximation above 30)."""
    if lam <= 0.0:
        return 0
    if lam >= 30.0:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    limit, count, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def surge_shape(u: float) -> float:
    """Relative surge volume at fraction `u` of an episode: a quick ramp up, then a slower fade."""
    if u < 0.0 or u >= 1.0:
        return 0.0
    if u < 0.25:
        return u / 0.25
    return float(((1.0 - u) / 0.75) ** 1.5)


@dataclass(slots=True)
class _Live:
    """Run-time state of an episode (its `Episode` record is the part the caller sees)."""

    record: Episode
    brand: Brand
    issue: Issue
    start_us: int
    end_us: int
    peak_rate: float
    responses_us: tuple[int, ...]
    campaign_start_us: int = 0
    campaign_end_us: int = 0
    campaign_rate: float = 0.0
    campaign_posts: int = 0
    accounts: list[Persona] = field(default_factory=list)
    template: CampaignTemplate | None = None
    base_words: dict[str, str] = field(default_factory=dict)


# A mention being drawn: (time µs, author, lang, text, engagement boost, episode, coordinated).
_Draft = tuple[int, Persona, str, str, float, "_Live | None", bool]


class DemoGenerator:
    """Realistic mentions of the demo brands (`demo_watchlists`), in English and French.

    `batch(now, elapsed_s)` returns the mentions created in (now - elapsed_s, now]. About `rate_per_s`
    mentions a second, more during an episode: every `episode_every_s` seconds (the first after about a
    minute; 0 or infinity for none) a 2–4 minute negative surge around one brand, in turn, with a new
    hashtag; every other episode, starting with the first, includes a coordinated campaign of fresh small
    accounts posting near-duplicates. `episodes` holds the last `keep_episodes` episodes that started.
    """

    def __init__(
        self,
        seed: int = 0,
        rate_per_s: float = 20.0,
        episode_every_s: float = 240.0,
        start: datetime | None = None,
        *,
        authors: int = 3000,
        keep_episodes: int = 12,
        max_ids_per_episode: int = 20_000,
    ) -> None:
        self.seed = seed
        self.rate_per_s = max(0.0, rate_per_s)
        self.episode_every_s = episode_every_s
        self.keep_episodes = keep_episodes
        self.max_ids_per_episode = max_ids_per_episode
        self.episodes: list[Episode] = []
        self._origin_us = _to_us(start) if start is not None else None
        self._next_tick = 0
        self._counter = 0
        self._pending: list[tuple[int, Mention]] = []
        self._live: list[_Live] = []
        self._next_episode = 0
        self._upcoming: _Live | None = None
        self._pool = build_pool(random.Random(f"{seed}:authors"), authors, EN_SHARE)
        self._pool_cum = cumulative_activity(self._pool)
        self._pool_handles = {persona.handle for persona in self._pool}
        self._press = [persona for persona in self._pool if persona.kind in ("journalist", "media")]
        self._officials = {brand.id: official_persona(brand, i) for i, brand in enumerate(BRANDS)}
        self._brand_cum = [sum(brand.weight for brand in BRANDS[: i + 1]) for i in range(len(BRANDS))]
        setup = random.Random(f"{seed}:setup")
        self._wave_phase = setup.uniform(0.0, 2 * math.pi)
        self._issue_offset = setup.randrange(1000)

    # -- public ---------------------------------------------------------------------------------------

    def batch(self, now: datetime, elapsed_s: float) -> list[Mention]:
        """The mentions created in the `elapsed_s` seconds of event time ending at `now`, oldest first."""
        end = _to_us(now)
        begin = end - max(0, round(elapsed_s * 1_000_000))
        if self._origin_us is None:
            self._origin_us = begin
        origin = self._origin_us
        begin = max(begin, origin)
        if end <= begin:
            return []
        first_needed = (begin - origin) // TICK_US
        if self._next_tick < first_needed:  # a gap: skip it rather than draw what nobody asked for
            self._next_tick = first_needed
            self._pending.clear()
        while origin + self._next_tick * TICK_US < end:
            self._pending.extend(self._tick(self._next_tick))
            self._next_tick += 1
        pending = self._pending
        cut = bisect_right(pending, end, key=lambda item: item[0])
        out = [mention for ts, mention in pending[:cut] if ts > begin]
        del pending[:cut]
        return out

    @property
    def campaign_mention_ids(self) -> set[str]:
        """Ids of the coordinated mentions of the kept episodes."""
        return set().union(*(episode.campaign_mention_ids for episode in self.episodes))

    @property
    def authors(self) -> list[Persona]:
        """The persistent pool of accounts (campaign accounts are not in it)."""
        return list(self._pool)

    # -- episodes -------------------------------------------------------------------------------------

    def _episodes_enabled(self) -> bool:
        return math.isfinite(self.episode_every_s) and self.episode_every_s > 0

    def _make_episode(self, index: int) -> _Live:
        assert self._origin_us is not None
        rng = random.Random(f"{self.seed}:episode:{index}")
        every = self.episode_every_s
        turn = index % len(EPISODE_ROTATION)
        brand = BRANDS_BY_ID[EPISODE_ROTATION[turn]]
        cycle = index // len(EPISODE_ROTATION)
        issues = ISSUES[brand.sector]
        issue = issues[(cycle + turn + self._issue_offset) % len(issues)]
        repeat = cycle // len(issues)
        display = issue.tag.replace("{S}", brand.stem) + (str(repeat + 1) if repeat else "")
        start_s = min(FIRST_EPISODE_S, every) + index * every + rng.uniform(0.0, min(10.0, 0.05 * every))
        duration_s = max(10.0, min(rng.uniform(120.0, 240.0), 0.8 * every))
        start_us = self._origin_us + round(start_s * 1_000_000)
        end_us = start_us + round(duration_s * 1_000_000)
        coordinated = index % 2 == 0
        lang = "en" if rng.random() < EN_SHARE else "fr"
        record = Episode(
            index=index,
            start=_at(start_us),
            end=_at(end_us),
            watchlist_id=brand.id,
            issue=issue.key,
            hashtag=display.lower(),
            display_tag=f"#{display}",
            coordinated=coordinated,
            lang=lang,
        )
        responses = tuple(start_us + round(duration_s * f * 1_000_000) for f in (0.35, 0.75))
        live = _Live(
            record, brand, issue, start_us, end_us, self.rate_per_s * rng.uniform(0.9, 1.4), responses
        )
        if coordinated:
            c_start = start_us + round(duration_s * rng.uniform(0.12, 0.25) * 1_000_000)
            c_len_s = min(rng.uniform(60.0, 90.0), 0.5 * duration_s)
            scale = max(1.0, self.rate_per_s / 20.0) ** 0.5
            count = max(5, round(rng.randint(40, 70) * scale))
            live.campaign_start_us, live.campaign_end_us = c_start, c_start + round(c_len_s * 1_000_000)
            live.campaign_rate = count * rng.uniform(2.5, 4.5) / c_len_s
            live.accounts = campaign_accounts(rng, count, index, self._pool_handles)
            live.template = rng.choice(CAMPAIGNS[lang])
            live.base_words = {key: rng.choice(words) for key, words in live.template.words.items()}
            record.campaign_start, record.campaign_end = _at(c_start), _at(live.campaign_end_us)
            record.campaign_authors = {account.handle for account in live.accounts}
        return live

    def _advance_episodes(self, tick_start: int, tick_end: int) -> None:
        self._live = [live for live in self._live if live.end_us > tick_start]
        if not self._episodes_enabled():
            return
        while True:
            if self._upcoming is None:
                self._upcoming = self._make_episode(self._next_episode)
                self._next_episode += 1
            upcoming = self._upcoming
            if upcoming.start_us >= tick_end:
                return
            self._upcoming = None
            if upcoming.end_us > tick_start:
                self._live.append(upcoming)
                self.episodes.append(upcoming.record)
                del self.episodes[: -self.keep_episodes or None]

    # -- drawing --------------------------------------------------------------------------------------

    def _tick(self, tick: int) -> list[tuple[int, Mention]]:
        assert self._origin_us is not None
        start = self._origin_us + tick * TICK_US
        self._advance_episodes(start, start + TICK_US)
        rng = random.Random(f"{self.seed}:{tick}")
        rand = rng.random
        drafts: list[_Draft] = []
        wave = 1.0 + 0.1 * math.sin(2 * math.pi * tick / WAVE_PERIOD_S + self._wave_phase)
        count = poisson(rng, self.rate_per_s * wave)
        if count:
            for persona in rng.choices(self._pool, cum_weights=self._pool_cum, k=count):
                lang = persona.lang if rand() < 0.9 else ("fr" if persona.lang == "en" else "en")
                drafts.append(
                    (
                        start + int(rand() * TICK_US),
                        persona,
                        lang,
                        self._ordinary_text(rng, persona, lang),
                        1.0,
                        None,
                        False,
                    )
                )
        if rand() < len(BRANDS) / OFFICIAL_EVERY_S:
            brand = rng.choice(BRANDS)
            lang = "en" if rand() < EN_SHARE else "fr"
            text = rng.choice(OFFICIAL_POSTS[brand.sector][lang]).format_map(Slots(rng, brand, lang))
            drafts.append(
                (start + int(rand() * TICK_US), self._officials[brand.id], lang, text, 1.0, None, False)
            )
        for live in self._live:
            self._surge(rng, live, start, drafts)
        drafts.sort(key=lambda draft: draft[0])
        return [self._mention(rng, draft) for draft in drafts]

    def _surge(self, rng: random.Random, live: _Live, start: int, drafts: list[_Draft]) -> None:
        rand = rng.random
        duration = live.end_us - live.start_us
        u = (start + TICK_US // 2 - live.start_us) / duration
        for _ in range(poisson(rng, live.peak_rate * surge_shape(u))):
            ts = start + int(rand() * TICK_US)
            if not live.start_us <= ts < live.end_us:
                continue
            persona = rng.choices(self._pool, cum_weights=self._pool_cum)[0]
            if persona.kind == "bot":
                continue
            if rand() < 0.04 or persona.outlet is not None:
                if persona.outlet is None:
                    persona = rng.choice(self._press)
                lang = persona.lang
                text = self._format(rng, rng.choice(COVERAGE[lang]), live, lang, persona)
                text += " " + live.record.display_tag
                drafts.append((ts, persona, lang, text, 2.0, live, False))
                continue
            lang = persona.lang if rand() < 0.9 else ("fr" if persona.lang == "en" else "en")
            templates = live.issue.situations[lang] if rand() < 0.65 else PILE_ON[lang]
            text = self._format(rng, rng.choice(templates), live, lang, persona)
            if rand() < 0.9:
                reaction = rng.choice(REACTIONS[lang])
                text = f"{reaction} {text}" if rand() < 0.15 else f"{text} {reaction}"
            if rand() < 0.3:
                text = _sentence(text) + " " + rng.choice(TAILS[lang]["neg"])
            if rand() < 0.45:
                text += " " + rng.choice(EMOJI["neg"])
            tags = [live.record.display_tag] if rand() < 0.75 else []
            if tags and rand() < 0.2:  # a companion tag, so the episode forms a hashtag swarm
                tags.append(f"#{live.brand.stem}Gate")
            if rand() < 0.15:
                tags.append("#" + rng.choice(live.brand.tags))
                rng.shuffle(tags)
            if tags:
                text += " " + " ".join(tags)
            drafts.append((ts, persona, lang, text, 1.6, live, False))
        for index, at in enumerate(live.responses_us):
            if start <= at < start + TICK_US:
                lang = "en" if index % 2 == 0 else "fr"
                text = self._format(rng, RESPONSE[lang], live, lang, None)
                drafts.append((at, self._officials[live.brand.id], lang, text, 1.0, live, False))
        middle = start + TICK_US // 2
        if live.template is not None and live.campaign_start_us <= middle < live.campaign_end_us:
            for _ in range(poisson(rng, live.campaign_rate)):
                ts = start + int(rand() * TICK_US)
                if live.campaign_start_us <= ts < live.campaign_end_us:
                    # Every account posts once before any posts again, so the ground truth holds no idle ones.
                    posted = live.campaign_posts
                    live.campaign_posts = posted + 1
                    accounts = live.accounts
                    account = accounts[posted] if posted < len(accounts) else rng.choice(accounts)
                    drafts.append(
                        (ts, account, live.record.lang, self._campaign_text(rng, live), 0.3, live, True)
                    )

    def _format(
        self, rng: random.Random, template: str, live: _Live, lang: str, persona: Persona | None
    ) -> str:
        phrase = live.issue.phrase[lang]
        extra = {"issue": phrase, "issue_cap": phrase[0].upper() + phrase[1:]}
        if persona is not None and persona.outlet is not None:
            extra["link"] = self._article_link(rng, persona, live.brand)
        return template.format_map(Slots(rng, live.brand, lang, None, extra))

    def _campaign_text(self, rng: random.Random, live: _Live) -> str:
        assert live.template is not None
        template, brand, lang = live.template, live.brand, live.record.lang
        words = {
            key: (live.base_words[key] if rng.random() < 0.7 else rng.choice(choices))
            for key, choices in template.words.items()
        }
        tags = [live.record.display_tag, f"#Boycott{brand.stem}"]
        if rng.random() < 0.4:
            tags.append("#" + brand.tags[0])
        rng.shuffle(tags)
        phrase = live.issue.phrase[lang]
        text = template.text.format(
            brand=brand.name,
            issue=phrase,
            issue_cap=phrase[0].upper() + phrase[1:],
            tags=" ".join(tags),
            **words,
        )
        emoji = rng.choice(CAMPAIGN_EMOJI)
        return f"{text} {emoji}" if emoji else text

    def _ordinary_text(self, rng: random.Random, persona: Persona, lang: str) -> str:
        rand = rng.random
        kind = persona.kind
        if kind == "bot":
            if rand() < 0.8:
                brand = self._pick_brand(rng)
                link = f"https://dealz.example/{rng.randrange(36**5):x}"
                return rng.choice(SPAM[lang]).format_map(Slots(rng, brand, lang, None, {"link": link}))
        elif kind in ("journalist", "media"):
            if rand() < 0.5:
                brand = self._pick_brand(rng)
                link = self._article_link(rng, persona, brand)
                return rng.choice(NEWS[lang]).format_map(Slots(rng, brand, lang, None, {"link": link}))
        elif rand() < CHATTER_SHARE:
            return rng.choice(CHATTER[lang]).format_map(Slots(rng, None, lang))
        return self._brand_text(rng, lang)

    def _pick_brand(self, rng: random.Random) -> Brand:
        index = bisect_right(self._brand_cum, rng.random() * self._brand_cum[-1])
        return BRANDS[min(index, len(BRANDS) - 1)]

    def _brand_text(self, rng: random.Random, lang: str) -> str:
        rand = rng.random
        brand = self._pick_brand(rng)
        roll = rand()
        pos, neu, _ = brand.mood
        tone = "pos" if roll < pos else "neu" if roll < pos + neu else "neg"
        rival = BRANDS_BY_ID[brand.rival] if brand.rival else None
        roll = rand()
        if rival is not None and roll < 0.08:
            template = rng.choice(COMPARISON_POSTS[lang][tone])
        elif roll < 0.6:
            template = rng.choice(SECTOR_POSTS[brand.sector][lang][tone])
        else:
            template = rng.choice(GENERIC_POSTS[lang][tone])
        text = template.format_map(Slots(rng, brand, lang, rival))
        if rand() < 0.12:
            text = rng.choice(PREFIXES[lang][tone]) + text
        if rand() < 0.3:
            text = _sentence(text) + " " + rng.choice(TAILS[lang][tone])
        if rand() < 0.4:
            text += " " + rng.choice(EMOJI[tone])
        if rand() < 0.3:
            text += " #" + rng.choice(brand.tags)
        if rand() < 0.2:
            text += " " + rng.choice(TOPIC_TAGS[brand.sector][lang])
        if rand() < 0.05:
            text += f" https://pics.social.example/{rng.randrange(36**7):x}"
        return text

    @staticmethod
    def _article_link(rng: random.Random, persona: Persona, brand: Brand) -> str:
        assert persona.outlet is not None
        return f"https://{OUTLETS[persona.outlet][2]}/articles/{brand.id}-{rng.randrange(10**6)}"

    def _mention(self, rng: random.Random, draft: _Draft) -> tuple[int, Mention]:
        ts, persona, lang, text, boost, live, coordinated = draft
        counter = self._counter
        self._counter = counter + 1
        mention_id = f"demo-{self.seed}-{counter}"
        # Engagement grows sub-linearly with reach and is heavy-tailed.
        base = 0.02 * (persona.followers + 5) ** 0.85 * boost
        likes = int(base * rng.lognormvariate(-0.5, 1.1))
        reposts = int(likes * 0.25 * rng.lognormvariate(-0.5, 0.8))
        replies = int(likes * (0.2 if boost > 1.0 else 0.08) * rng.random() + (rng.random() < 0.1))
        mention = Mention(
            id=mention_id,
            source="demo",
            text=text,
            author=Author(
                handle=persona.handle,
                id=persona.id,
                name=persona.name,
                followers=persona.followers,
                bio=persona.bio,
                domain=persona.domain,
            ),
            created_at=_at(ts),
            lang=lang,
            url=f"https://social.example/@{persona.handle}/{counter}",
            engagement=Engagement(likes=likes, reposts=reposts, replies=replies),
            # What parse_mention would extract; the regexes only run when their sigil is there.
            hashtags=extract_hashtags(text) if "#" in text else [],
            mentions=extract_mentions(text) if "@" in text else [],
            links=extract_links(text) if "://" in text else [],
        )
        if live is not None:
            record = live.record
            if len(record.surge_mention_ids) < self.max_ids_per_episode:
                record.surge_mention_ids.add(mention_id)
                if coordinated:
                    record.campaign_mention_ids.add(mention_id)
            else:
                record.ids_truncated = True
        return ts, mention
