"""Scripted episodes: what a negative surge is about, how people word it, and the ground truth kept for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .brands import Sector


@dataclass(frozen=True, slots=True)
class Issue:
    """A thing that goes wrong for a brand. `tag` is a hashtag pattern over the brand's stem ({S})."""

    key: str
    tag: str
    phrase: dict[str, str]
    #: What happened to the poster, by language; a judgement from `REACTIONS` usually follows.
    situations: dict[str, tuple[str, ...]]


ISSUES: dict[Sector, tuple[Issue, ...]] = {
    "airline": (
        Issue(
            "delays",
            "{S}Delays",
            {"en": "the delays", "fr": "les retards"},
            {
                "en": (
                    "{hours} hours stuck at {city} airport and still no word from {ref}.",
                    "{ref} delayed my flight again. Missed my connection, no voucher, no help.",
                    "Is anyone else stuck in {city}? {ref} flight delayed for hours and staff have no answers.",  # noqa: E501
                    "{ref} just pushed our departure back another {hours} hours.",
                    "Kids exhausted, sleeping on the floor at {city} airport because of {ref}.",
                    "Delayed, delayed, delayed. {ref} flight to {city} now leaving at midnight maybe.",
                ),
                "fr": (
                    "{hours} heures bloqués à l'aéroport de {city} et {ref} ne dit toujours rien.",
                    "{ref} a encore retardé mon vol. Correspondance ratée, aucune aide.",
                    "D'autres bloqués à {city} ? Vol {ref} retardé depuis des heures, personne ne sait rien.",
                    "{ref} vient de repousser notre départ de {hours} heures.",
                    "Les enfants dorment par terre à l'aéroport de {city}, {ref} ne propose rien.",
                ),
            },
        ),
        Issue(
            "lostbags",
            "{S}LostBags",
            {"en": "the lost luggage chaos", "fr": "les bagages perdus"},
            {
                "en": (
                    "{ref} lost my bag on the way to {city} and nobody can tell me where it is.",
                    "Day {days} without my luggage. {ref} customer service keeps hanging up on me.",
                    "Hundreds of bags piled up at {city} and {ref} says nothing.",
                    "Landed in {city}, my suitcase didn't. Thanks for nothing {ref}.",
                    "My whole holiday is in a suitcase somewhere and {ref} has no idea where.",
                ),
                "fr": (
                    "{ref} a perdu ma valise en route pour {city}, personne ne sait où elle est.",
                    "Jour {days} sans ma valise. Le service client {ref} me raccroche au nez.",
                    "Des centaines de valises entassées à {city} et {ref} ne dit rien.",
                    "Arrivé à {city}, ma valise non. Merci pour rien {ref}.",
                ),
            },
        ),
        Issue(
            "cancellations",
            "{S}Cancelled",
            {"en": "the mass cancellations", "fr": "les annulations en masse"},
            {
                "en": (
                    "{ref} cancelled my flight to {city} with two hours notice. No refund, no rebooking.",
                    "Another {ref} cancellation. Our holiday is ruined.",
                    "{ref} cancelled hundreds of flights and their hotline is down.",
                    "Wedding in {city} tomorrow and {ref} just cancelled my flight.",
                    "Queue of {n}0 people at the {ref} desk in {city} after they cancelled everything.",
                ),
                "fr": (
                    "{ref} a annulé mon vol pour {city} deux heures avant. Aucun remboursement.",
                    "Encore une annulation {ref}. Vacances gâchées.",
                    "{ref} annule des centaines de vols et la hotline ne répond plus.",
                    "Mariage à {city} demain et {ref} vient d'annuler mon vol.",
                ),
            },
        ),
        Issue(
            "appdown",
            "{S}AppDown",
            {"en": "the app outage", "fr": "la panne de l'appli"},
            {
                "en": (
                    "The {ref} app has been down all day and I can't check in.",
                    "Can't access my booking, the {ref} app keeps crashing.",
                    "Missed my flight because the {ref} app was down.",
                    "Boarding pass gone from the {ref} app, error message every time.",
                ),
                "fr": (
                    "L'appli {ref} est en panne depuis ce matin, impossible de m'enregistrer.",
                    "Impossible d'accéder à ma réservation, l'appli {ref} plante sans arrêt.",
                    "Vol raté parce que l'appli {ref} était en panne.",
                    "Ma carte d'embarquement a disparu de l'appli {ref}, message d'erreur à chaque fois.",
                ),
            },
        ),
    ),
    "telecom": (
        Issue(
            "outage",
            "{S}Down",
            {"en": "the network outage", "fr": "la panne réseau"},
            {
                "en": (
                    "No signal, no internet, nothing. {ref} is down everywhere in {city}.",
                    "{ref} outage for {hours} hours now and not a single update.",
                    "Can't work, can't call, the {ref} network is completely dead.",
                    "Whole street in {city} without internet because of {ref}.",
                    "Had to come to a café in {city} to get online because {ref} is down.",
                ),
                "fr": (
                    "Pas de réseau, pas d'internet, rien. {ref} en panne partout à {city}.",
                    "Panne {ref} depuis {hours} heures et aucune information.",
                    "Impossible de travailler ou d'appeler, réseau {ref} complètement mort.",
                    "Toute la rue sans internet à {city}, merci {ref}.",
                ),
            },
        ),
        Issue(
            "billing",
            "{S}BillShock",
            {"en": "the billing errors", "fr": "les erreurs de facturation"},
            {
                "en": (
                    "{ref} charged me twice this month and the helpline says wait {days} days.",
                    "My {ref} bill tripled overnight for no reason.",
                    "{ref} took {price} from my account without asking.",
                    "Three hours on the phone with {ref} about a bill I don't owe.",
                ),
                "fr": (
                    "{ref} m'a prélevé deux fois ce mois-ci et le support me dit d'attendre {days} jours.",
                    "Ma facture {ref} a triplé du jour au lendemain sans raison.",
                    "{ref} m'a prélevé {price} sans rien demander.",
                ),
            },
        ),
        Issue(
            "dataleak",
            "{S}DataLeak",
            {"en": "the customer data leak", "fr": "la fuite de données"},
            {
                "en": (
                    "So {ref} leaked my personal data and I find out on social media?",
                    "{ref} data breach: names, addresses, bank details, all out there.",
                    "Changed all my passwords because of the {ref} leak.",
                    "Already got {n} scam calls since the {ref} data leak.",
                ),
                "fr": (
                    "Donc {ref} a laissé fuiter mes données et je l'apprends sur les réseaux ?",
                    "Fuite de données chez {ref} : noms, adresses, RIB, tout est dehors.",
                    "Obligé de changer tous mes mots de passe après la fuite {ref}.",
                ),
            },
        ),
        Issue(
            "pricehike",
            "{S}PriceHike",
            {"en": "the price hike", "fr": "la hausse des prix"},
            {
                "en": (
                    "{ref} raising prices again while the service gets worse.",
                    "Another {price} a month from {ref} for the same bad network.",
                    "Cancelling my {ref} contract after this price hike.",
                ),
                "fr": (
                    "{ref} augmente encore ses prix et le service est toujours aussi mauvais.",
                    "{price} de plus par mois chez {ref} pour le même réseau pourri.",
                    "Je résilie chez {ref} après cette hausse.",
                ),
            },
        ),
    ),
    "drinks": (
        Issue(
            "recall",
            "{S}Recall",
            {"en": "the product recall", "fr": "le rappel produit"},
            {
                "en": (
                    "{ref} recalling {product} because of contamination?? My kids drank it yesterday.",
                    "Just threw away six bottles of {product}. How did this happen {ref}?",
                    "Glass fragments in {product}. {ref} you have some explaining to do.",
                    "Shops in {city} pulling {product} off the shelves, {ref} still silent.",
                ),
                "fr": (
                    "{ref} rappelle le {product} pour contamination ?? Mes enfants en ont bu hier.",
                    "Je viens de jeter six bouteilles de {product}. Comment c'est possible {ref} ?",
                    "Des éclats de verre dans le {product}. {ref} doit s'expliquer.",
                ),
            },
        ),
        Issue(
            "shrinkflation",
            "{S}Shrinkflation",
            {"en": "the shrinking bottles", "fr": "les bouteilles réduites"},
            {
                "en": (
                    "{product} bottles are smaller and more expensive, {ref}.",
                    "{ref} took 20% out of every bottle and kept the price.",
                    "Noticed my {product} is suddenly smaller. Same price of course, {ref}.",
                ),
                "fr": (
                    "Les bouteilles de {product} sont plus petites et plus chères, {ref}.",
                    "{ref} a retiré 20 % de chaque bouteille sans baisser le prix.",
                    "Mon {product} a rétréci d'un coup, même prix évidemment, {ref}.",
                ),
            },
        ),
        Issue(
            "recipe",
            "{S}Fail",
            {"en": "the new recipe", "fr": "la nouvelle recette"},
            {
                "en": (
                    "The new {product} recipe tastes like chemicals, disgusting. Bring back the old one {ref}!",  # noqa: E501
                    "Whatever {ref} did to {product}, nobody asked for it.",
                    "Poured the new {product} down the sink, {ref}.",
                ),
                "fr": (
                    "La nouvelle recette du {product} a un goût chimique. Rendez-nous l'ancienne {ref} !",
                    "Je ne sais pas ce que {ref} a fait au {product} mais personne n'a demandé ça.",
                    "Nouveau {product} versé dans l'évier, {ref}.",
                ),
            },
        ),
    ),
}

#: The judgement that usually follows a surge post's situation.
REACTIONS: dict[str, tuple[str, ...]] = {
    "en": (
        "Absolutely unacceptable.",
        "Terrible.",
        "Shameful.",
        "Terrible service.",
        "What a disaster.",
        "Pathetic.",
        "Awful, just awful.",
        "I'm furious.",
        "Worst company ever.",
        "Completely useless.",
        "Outrageous.",
        "This is a scandal.",
        "Horrible way to treat customers.",
        "So angry right now.",
        "Disgusting.",
        "Hate this company.",
    ),
    "fr": (
        "Inadmissible.",
        "Honteux.",
        "Lamentable.",
        "Scandaleux.",
        "Quelle catastrophe.",
        "Pathétique.",
        "Nul, vraiment nul.",
        "Je suis furieux.",
        "Pire entreprise du monde.",
        "Complètement inutile.",
        "C'est un scandale.",
        "Une honte de traiter les clients comme ça.",
        "Tellement en colère.",
        "Dégoûtant.",
    ),
}

# Surge posts that fit any issue. {issue} is the issue's phrase, {issue_cap} the same capitalised.
PILE_ON: dict[str, tuple[str, ...]] = {
    "en": (
        "The way {ref} is handling {issue} is a disgrace.",
        "RT if you're also affected by {issue} at {ref}.",
        "This is getting worse by the hour. {ref} needs to respond now.",
        "{ref} staying silent about {issue} is insulting to customers.",
        "Been following the {ref} story all afternoon, what a mess.",
    ),
    "fr": (
        "{issue_cap} chez {ref}, et toujours aucune excuse.",
        "RT si vous êtes aussi touchés. {issue_cap} chez {ref}, c'est n'importe quoi.",
        "Ça empire d'heure en heure. {ref} doit réagir maintenant.",
        "{ref} garde le silence, c'est insultant pour les clients.",
        "Je suis l'affaire {ref} depuis cet après-midi, quel fiasco.",
    ),
}

COVERAGE: dict[str, tuple[str, ...]] = {
    "en": (
        "{brand} faces growing anger over {issue} as customers pile up complaints online {link}",
        "Hundreds of {brand} customers report problems; the company says it is investigating {link}",
        "LIVE: {issue} at {brand}, what we know so far {link}",
    ),
    "fr": (
        "{issue_cap} : la colère monte contre {brand} sur les réseaux sociaux {link}",
        "Des centaines de clients {brand} signalent des problèmes, l'entreprise dit enquêter {link}",
        "EN DIRECT : {issue} chez {brand}, ce que l'on sait {link}",
    ),
}

RESPONSE: dict[str, str] = {
    "en": "We're aware some customers are affected by {issue}. Our teams are on it and we're sorry for "
    "the disruption. Updates: {link}",
    "fr": "Nous savons que certains clients sont touchés par {issue}. Nos équipes sont mobilisées, toutes "
    "nos excuses. Infos : {link}",
}


@dataclass(frozen=True, slots=True)
class CampaignTemplate:
    """One near-duplicate text: `text` has {brand}, {issue}/{issue_cap}, {tags} and variable `words`;
    each word slot has a base choice that a post keeps most of the time and alternatives it swaps in."""

    text: str
    words: dict[str, tuple[str, ...]]


CAMPAIGNS: dict[str, tuple[CampaignTemplate, ...]] = {
    "en": (
        CampaignTemplate(
            "{brand} is {verb} its customers and thinks nobody will notice. {closer} {tags}",
            {
                "verb": ("scamming", "ripping off", "robbing", "lying to"),
                "closer": ("Never again.", "Done with them for good.", "Boycott now.", "Enough is enough."),
            },
        ),
        CampaignTemplate(
            "Everyone needs to know what {brand} is doing: {issue}, zero refunds, zero answers. "
            "{closer} {tags}",
            {"closer": ("Never again.", "Boycott now.", "Enough is enough.", "Spread the word.")},
        ),
        CampaignTemplate(
            "Stop giving your money to {brand}. {issue_cap}? They {verb}. Share this! {tags}",
            {"verb": ("just don't care", "couldn't care less", "mock us", "ignore everyone")},
        ),
    ),
    "fr": (
        CampaignTemplate(
            "{brand} {verb} ses clients et pense que personne ne verra rien. {closer} {tags}",
            {
                "verb": ("arnaque", "vole", "méprise", "escroque"),
                "closer": ("Plus jamais.", "Boycott total.", "Trop c'est trop.", "C'est fini pour moi."),
            },
        ),
        CampaignTemplate(
            "Tout le monde doit savoir ce que fait {brand} : {issue}, zéro remboursement, zéro réponse. "
            "{closer} {tags}",
            {"closer": ("Plus jamais.", "Boycott total.", "Trop c'est trop.", "Faites tourner.")},
        ),
        CampaignTemplate(
            "Arrêtez de donner votre argent à {brand}. {issue_cap} ? Ils {verb}. Partagez ! {tags}",
            {"verb": ("s'en fichent", "s'en moquent", "ignorent tout le monde", "rient de nous")},
        ),
    ),
}

CAMPAIGN_EMOJI: tuple[str, ...] = ("", "😡", "🤬", "👎", "😤")


@dataclass(slots=True, eq=False)
class Episode:
    """A scripted negative surge around one watchlist, and its ground truth.

    `hashtag` is the new hashtag as `Mention.hashtags` holds it (lower case, no '#'); `display_tag` as
    posted. `surge_mention_ids` are all mentions the episode added (organic pile-on, press, the brand's
    replies and the campaign), `campaign_mention_ids` the coordinated ones only (empty unless
    `coordinated`); both stop growing at the generator's `max_ids_per_episode` (`ids_truncated`).
    """

    index: int
    start: datetime
    end: datetime
    watchlist_id: str
    issue: str
    hashtag: str
    display_tag: str
    coordinated: bool
    lang: str
    campaign_start: datetime | None = None
    campaign_end: datetime | None = None
    campaign_authors: set[str] = field(default_factory=set, repr=False)
    surge_mention_ids: set[str] = field(default_factory=set, repr=False)
    campaign_mention_ids: set[str] = field(default_factory=set, repr=False)
    ids_truncated: bool = False
