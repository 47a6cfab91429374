"""The fictional demo brands and the watchlists that watch them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.understanding.watchlists import Watchlist

Sector = Literal["airline", "telecom", "drinks"]


@dataclass(frozen=True, slots=True)
class Brand:
    """A fictional company the demo talks about. `stem` builds hashtags (#AerolisDelays, #BoycottAerolis)."""

    id: str
    name: str
    kind: Literal["brand", "competitor"]
    group: str
    sector: Sector
    stem: str
    handle: str
    official_name: str
    official_followers: int
    tags: tuple[str, ...]
    keywords: tuple[str, ...]
    products: tuple[str, ...]
    site: str
    color: str
    #: Share of brand talk that is about this brand (relative weight).
    weight: float
    #: Probabilities of positive, neutral and negative talk in ordinary times.
    mood: tuple[float, float, float]
    rival: str | None = None


BRANDS: tuple[Brand, ...] = (
    Brand(
        id="aerolis",
        name="Aerolis",
        kind="brand",
        group="airlines",
        sector="airline",
        stem="Aerolis",
        handle="aerolis",
        official_name="Aerolis Airlines",
        official_followers=412_000,
        tags=("Aerolis", "FlyAerolis"),
        keywords=("Aerolis", "Aerolis Plus"),
        products=("Aerolis Plus", "Aerolis Connect"),
        site="aerolis-airlines.com",
        color="#2563eb",
        weight=0.25,
        mood=(0.38, 0.37, 0.25),
        rival="skyvane",
    ),
    Brand(
        id="skyvane",
        name="Skyvane",
        kind="competitor",
        group="airlines",
        sector="airline",
        stem="Skyvane",
        handle="flyskyvane",
        official_name="Skyvane",
        official_followers=268_000,
        tags=("Skyvane",),
        keywords=("Skyvane", "Skyvane Miles"),
        products=("Skyvane Miles",),
        site="skyvane-air.com",
        color="#f97316",
        weight=0.18,
        mood=(0.34, 0.38, 0.28),
        rival="aerolis",
    ),
    Brand(
        id="veltra",
        name="Veltra",
        kind="brand",
        group="telecom",
        sector="telecom",
        stem="Veltra",
        handle="veltramobile",
        official_name="Veltra Mobile",
        official_followers=355_000,
        tags=("Veltra", "VeltraFibre"),
        keywords=("Veltra", "Veltra Box", "Veltra Fibre"),
        products=("Veltra Box", "Veltra Fibre", "Veltra 5G+"),
        site="veltra-mobile.com",
        color="#7c3aed",
        weight=0.22,
        mood=(0.36, 0.36, 0.28),
        rival="ondacom",
    ),
    Brand(
        id="ondacom",
        name="Ondacom",
        kind="competitor",
        group="telecom",
        sector="telecom",
        stem="Ondacom",
        handle="ondacom",
        official_name="Ondacom",
        official_followers=298_000,
        tags=("Ondacom",),
        keywords=("Ondacom", "Onda Box"),
        products=("Onda Box", "Ondacom Max", "Ondacom Fibre"),
        site="ondacom-telecom.com",
        color="#10b981",
        weight=0.17,
        mood=(0.28, 0.37, 0.35),
        rival="veltra",
    ),
    Brand(
        id="brisaline",
        name="Brisaline",
        kind="brand",
        group="brisaline",
        sector="drinks",
        stem="Brisaline",
        handle="brisaline",
        official_name="Brisaline",
        official_followers=187_000,
        tags=("Brisaline", "BrisalineZest"),
        keywords=("Brisaline", "Brisaline Zest", "Brisaline Zéro"),
        products=("Brisaline Zest", "Brisaline Zéro", "Brisaline Citron-Gingembre"),
        site="brisaline-drinks.com",
        color="#e11d48",
        weight=0.18,
        mood=(0.45, 0.35, 0.20),
    ),
)

BRANDS_BY_ID: dict[str, Brand] = {brand.id: brand for brand in BRANDS}

#: The order in which episodes hit the brands (the room's own brand first, so a demo shows it soon).
EPISODE_ROTATION: tuple[str, ...] = ("aerolis", "veltra", "brisaline", "skyvane", "ondacom")


def demo_watchlists() -> list[Watchlist]:
    """One watchlist per demo brand; competitors share the `group` of the brand they compete with."""
    return [
        Watchlist(
            id=brand.id,
            name=brand.official_name,
            kind=brand.kind,
            group=brand.group,
            keywords=list(brand.keywords),
            hashtags=[tag.lower() for tag in brand.tags],
            handles=[brand.handle],
            color=brand.color,
        )
        for brand in BRANDS
    ]
