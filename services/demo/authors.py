"""The demo's accounts: a persistent pool with heavy-tailed audiences, plus throwaway campaign accounts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

from .brands import Brand

Kind = Literal["person", "influencer", "journalist", "media", "bot", "official", "campaign"]

FIRST_EN = (
    "James",
    "Emma",
    "Olivia",
    "Liam",
    "Noah",
    "Ava",
    "Sophia",
    "Mason",
    "Mia",
    "Ethan",
    "Harper",
    "Lucas",
    "Amelia",
    "Jack",
    "Chloe",
    "Ryan",
    "Grace",
    "Daniel",
    "Zoe",
    "Sam",
    "Priya",
    "Omar",
    "Hannah",
    "Ben",
    "Leah",
    "Tom",
    "Kate",
    "Aisha",
    "Nate",
    "Ruby",
)
LAST_EN = (
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Walker",
    "Harris",
    "Clarke",
    "Lewis",
    "Young",
    "King",
    "Wright",
    "Hill",
    "Green",
    "Baker",
    "Hughes",
    "Patel",
    "Khan",
    "Murphy",
    "Reed",
    "Cole",
)
FIRST_FR_F = (
    "Marie",
    "Camille",
    "Léa",
    "Chloé",
    "Manon",
    "Inès",
    "Julie",
    "Sarah",
    "Pauline",
    "Élise",
    "Claire",
    "Nadia",
    "Sophie",
    "Lucie",
    "Amandine",
)
FIRST_FR_M = (
    "Lucas",
    "Hugo",
    "Thomas",
    "Antoine",
    "Julien",
    "Nicolas",
    "Maxime",
    "Karim",
    "Mathieu",
    "Romain",
    "Yanis",
    "Olivier",
    "Louis",
    "Bastien",
    "Théo",
)
LAST_FR = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "Fournier",
    "Girard",
    "Mercier",
    "Benali",
    "Rousseau",
)
WORDS_EN = (
    "quiet",
    "urban",
    "happy",
    "lazy",
    "wandering",
    "midnight",
    "coffee",
    "pixel",
    "salty",
    "lucky",
    "cosmic",
    "rainy",
    "northern",
    "tiny",
    "golden",
)
NOUNS_EN = (
    "fox",
    "traveler",
    "panda",
    "runner",
    "coder",
    "nomad",
    "baker",
    "owl",
    "surfer",
    "gamer",
    "reader",
    "cyclist",
    "foodie",
    "dad",
    "mum",
)
HOBBIES_FR = ("voyage", "cuisine", "rando", "photo", "velo", "lecture", "running", "cine")
BIOS_EN = (
    "Coffee addict. Dad of two.",
    "Dev by day, runner by night",
    "Travel, food, bad puns",
    "Opinions are my own",
    "Nurse. Cat person.",
    "Teacher | football | books",
    "Just here for memes",
    "Product designer. Frequent flyer.",
)
BIOS_FR = (
    "Paris | voyages | photo",
    "Maman de deux loulous",
    "Dév le jour, coureuse la nuit",
    "Les avis sont les miens",
    "Prof de maths et fan de foot",
    "Café, bouquins, vélo",
    "Consultante, toujours entre deux trains",
)
BEATS = {
    "en": ("aviation", "tech", "business", "consumer affairs", "travel"),
    "fr": ("économie", "tech", "transports", "consommation", "médias"),
}

#: (name, handle, domain, lang) of the fictional media outlets.
OUTLETS: tuple[tuple[str, str, str, str], ...] = (
    ("The Morning Ledger", "morningledger", "morningledger.news", "en"),
    ("Metro Courier", "metrocourier", "metrocourier.net", "en"),
    ("TechWire Daily", "techwiredaily", "techwiredaily.com", "en"),
    ("Skyline Travel News", "skylinetravel", "skylinetravelnews.com", "en"),
    ("The Consumer Desk", "consumerdesk", "theconsumerdesk.org", "en"),
    ("Northbridge Post", "northbridgepost", "northbridgepost.com", "en"),
    ("Le Fil Info", "lefilinfo", "lefil-info.fr", "fr"),
    ("La Gazette du Matin", "gazettedumatin", "lagazettedumatin.fr", "fr"),
    ("Courrier Éco", "courriereco", "courrier-eco.fr", "fr"),
    ("Radio Horizon", "radiohorizon", "radio-horizon.fr", "fr"),
    ("Numérique Hebdo", "numeriquehebdo", "numerique-hebdo.fr", "fr"),
)


@dataclass(slots=True)
class Persona:
    """An account of the demo; `activity` is its relative chance of posting, `outlet` its media outlet."""

    handle: str
    id: str
    name: str
    followers: int
    bio: str | None
    domain: str | None
    lang: str
    kind: Kind
    activity: float
    outlet: int | None = None


def _ascii(text: str) -> str:
    table = str.maketrans("éèêëàâîïôöûüçÉ", "eeeeaaiioouucE")
    return text.translate(table)


def _person_handle(rng: random.Random, first: str, last: str, lang: str) -> str:
    first_a, last_a = _ascii(first).lower(), _ascii(last).lower()
    style = rng.randrange(8)
    if style == 0:
        return f"{first_a}{last_a}"
    if style == 1:
        return f"{first_a}_{last_a}"
    if style == 2:
        return f"{first_a}.{last_a}"
    if style == 3:
        return f"{first_a}{rng.randint(1, 99):02d}"
    if style == 4:
        return f"{first_a[0]}{last_a}{rng.randint(0, 9) if rng.random() < 0.5 else ''}"
    if style == 5 and lang == "fr":
        return f"{first_a}_{rng.choice(HOBBIES_FR)}"
    if style == 6:
        number = rng.randint(1, 999) if rng.random() < 0.6 else ""
        return f"{rng.choice(WORDS_EN)}{rng.choice(NOUNS_EN)}{number}"
    return f"{first_a}{last_a[:3]}{rng.randint(70, 99)}"


def _name(rng: random.Random, lang: str) -> tuple[str, str, bool]:
    """A first and last name and whether the first name is feminine (for French job titles)."""
    if lang == "fr":
        feminine = rng.random() < 0.5
        return rng.choice(FIRST_FR_F if feminine else FIRST_FR_M), rng.choice(LAST_FR), feminine
    return rng.choice(FIRST_EN), rng.choice(LAST_EN), False


def _journalist_bio(rng: random.Random, lang: str, outlet: str, feminine: bool) -> str:
    beat = rng.choice(BEATS[lang])
    if lang == "fr":
        title = "Rédactrice" if feminine else "Rédacteur"
        return rng.choice(
            (
                f"Journaliste {beat} à {outlet}.",
                f"{title} {beat} — {outlet}",
                f"{'Reporter'} {beat}, {outlet}. Les tweets n'engagent que moi.",
            )
        )
    return rng.choice(
        (
            f"Journalist at {outlet}. Covering {beat}.",
            f"Reporter, {outlet}. Views my own.",
            f"{beat.capitalize()} correspondent for {outlet}",
        )
    )


def build_pool(rng: random.Random, size: int, en_share: float = 0.6) -> list[Persona]:
    """`size` ordinary accounts plus the media outlets, with unique handles."""
    pool: list[Persona] = []
    taken: set[str] = set()

    def add(persona: Persona) -> None:
        taken.add(persona.handle)
        persona.id = f"demo-u{len(pool)}"
        pool.append(persona)

    for index, (outlet_name, outlet_handle, outlet_domain, outlet_lang) in enumerate(OUTLETS):
        about = "News, analysis and live coverage." if outlet_lang == "en" else "L'actualité en continu."
        audience = int(rng.lognormvariate(12.0, 0.8))
        add(
            Persona(
                outlet_handle,
                "",
                outlet_name,
                audience,
                about,
                outlet_domain,
                outlet_lang,
                "media",
                3.0,
                index,
            )
        )
    while len(pool) < size + len(OUTLETS):
        lang = "en" if rng.random() < en_share else "fr"
        first, last, feminine = _name(rng, lang)
        roll = rng.random()
        bio: str | None = None
        domain: str | None = None
        outlet: int | None = None
        if roll < 0.03:
            kind: Kind = "journalist"
            candidates = [i for i, outlet_row in enumerate(OUTLETS) if outlet_row[3] == lang]
            outlet = rng.choice(candidates)
            handle = rng.choice(
                (
                    f"{_ascii(first).lower()}{_ascii(last).lower()}",
                    f"{_ascii(first)[0].lower()}{_ascii(last).lower()}_{OUTLETS[outlet][1][:5]}",
                )
            )
            followers = int(rng.lognormvariate(8.5, 1.0))
            bio = _journalist_bio(rng, lang, OUTLETS[outlet][0], feminine)
            domain = OUTLETS[outlet][2]
            activity = 1.2
        elif roll < 0.07:
            kind = "influencer"
            handle = _person_handle(rng, first, last, lang)
            followers = int(rng.lognormvariate(10.2, 1.2))
            bio = rng.choice(
                (
                    "Travel creator ✈️ Collabs: DM",
                    "Lifestyle & tech | 🎥 new video every Friday",
                    "Food, fun & good vibes",
                )
                if lang == "en"
                else ("Créateur de contenu voyage 🌍", "Lifestyle & tech | 🎥 vidéo chaque vendredi")
            )
            domain = f"{handle.replace('.', '').replace('_', '')}.com" if rng.random() < 0.5 else None
            activity = rng.lognormvariate(0.3, 0.8)
        elif roll < 0.10:
            kind = "bot"
            stem = rng.choice(("deal", "promo", "bonplan", "giveaway", "coupon", "offers"))
            handle = f"{stem}{rng.choice(('zz', '_hunter', 'bot', '4u', '_daily'))}{rng.randint(100, 99999)}"
            followers = rng.randint(0, 40)
            first, last = stem.capitalize(), "Alerts"
            activity = 3.0
        else:
            kind = "person"
            handle = _person_handle(rng, first, last, lang)
            followers = int(rng.lognormvariate(4.6, 1.25))
            if rng.random() < 0.45:
                bio = rng.choice(BIOS_EN if lang == "en" else BIOS_FR)
            activity = rng.lognormvariate(0.0, 1.0)
        if handle in taken:
            handle = f"{handle}{rng.randint(2, 999)}"
            if handle in taken:
                continue
        display = f"{first} {last}" if rng.random() < 0.8 or kind != "person" else first
        add(Persona(handle, "", display, followers, bio, domain, lang, kind, activity, outlet))
    return pool


def cumulative_activity(pool: list[Persona]) -> list[float]:
    return list(accumulate(persona.activity for persona in pool))


def official_persona(brand: Brand, index: int) -> Persona:
    return Persona(
        brand.handle,
        f"demo-o{index}",
        brand.official_name,
        brand.official_followers,
        f"Official account of {brand.official_name}. Support: @{brand.handle}",
        brand.site,
        "en",
        "official",
        0.0,
    )


def campaign_accounts(rng: random.Random, count: int, episode: int, pool_handles: set[str]) -> list[Persona]:
    """Fresh accounts with tiny audiences, created for one coordinated campaign."""
    accounts: list[Persona] = []
    taken = set(pool_handles)
    while len(accounts) < count:
        lang = "en" if rng.random() < 0.6 else "fr"
        first, last, _ = _name(rng, lang)
        first_a = _ascii(first).lower()
        style = rng.randrange(3)
        if style == 0:
            handle = f"{first_a}{rng.randint(10_000_000, 99_999_999)}"
        elif style == 1:
            handle = (
                f"{rng.choice(('real', 'truth', 'angry', 'honest', 'free'))}_{rng.choice(NOUNS_EN)}"
                f"{rng.randint(1000, 99999)}"
            )
        else:
            handle = f"{first_a}{_ascii(last)[0].lower()}{rng.randint(100_000, 999_999)}"
        if handle in taken:
            continue
        taken.add(handle)
        bio = rng.choice((None, None, "Just a normal customer.", "Truth matters.", "Simple citoyen."))
        accounts.append(
            Persona(
                handle,
                f"demo-c{episode}-{len(accounts)}",
                f"{first} {last[0]}.",
                rng.randint(0, 25),
                bio,
                None,
                lang,
                "campaign",
                1.0,
            )
        )
    return accounts
