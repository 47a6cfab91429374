"""Words of the demo: post templates in English and French, by sector and sentiment, and their slots.

Templates are `str.format` strings. `Slots` fills them lazily from a random source, so a template only
pays for the slots it uses and a slot used twice ({ref} ... {ref}) gets the same value.
"""

from __future__ import annotations

import random
from typing import Literal

from .brands import Brand

Lang = Literal["en", "fr"]
Tone = Literal["pos", "neu", "neg"]

CITIES: dict[str, tuple[str, ...]] = {
    "en": (
        "London",
        "Manchester",
        "New York",
        "Dublin",
        "Boston",
        "Toronto",
        "Edinburgh",
        "Chicago",
        "Sydney",
        "Lisbon",
        "Barcelona",
        "Berlin",
        "Amsterdam",
        "Seattle",
    ),
    "fr": (
        "Paris",
        "Lyon",
        "Marseille",
        "Bordeaux",
        "Nantes",
        "Lille",
        "Toulouse",
        "Nice",
        "Montréal",
        "Bruxelles",
        "Genève",
        "Strasbourg",
        "Rennes",
        "Montpellier",
    ),
}

EMOJI: dict[str, tuple[str, ...]] = {
    "pos": ("😍", "🙌", "👏", "❤️", "✨", "😊", "🔥", "💯", "🥰", "👍"),
    "neu": ("🤔", "👀", "🧐", "📌"),
    "neg": ("😡", "🤬", "😤", "👎", "🙄", "😠", "💀", "😩", "🤦"),
}

PREFIXES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "pos": ("Wow! ", "Yes! ", "Ok so... "),
        "neu": ("Question: ", "Quick one: ", "Hmm. "),
        "neg": ("Ugh. ", "Ugh, seriously? ", "Oh no. "),
    },
    "fr": {
        "pos": ("Waouh ! ", "Trop bien ! "),
        "neu": ("Question : ", "Petite question : "),
        "neg": ("Sérieusement ? ", "Pff. ", "Encore ?! "),
    },
}

TAILS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "pos": (
            "Highly recommend.",
            "Made my day, thank you!",
            "Well done!",
            "10/10, loved it.",
            "Pleasantly surprised.",
            "Keep up the great work!",
            "More of this please.",
            "Happy customer here.",
        ),
        "neu": ("Any ideas?", "Will report back.", "Thoughts?", "We'll see.", "Just wondering."),
        "neg": (
            "Not the first time, sadly.",
            "Third time this month. Ridiculous.",
            "Unacceptable.",
            "Seriously disappointed.",
            "I want my money back, terrible.",
            "So tired of this.",
            "Never again, awful.",
            "Fed up and angry.",
        ),
    },
    "fr": {
        "pos": (
            "Je recommande.",
            "Ça fait plaisir.",
            "Bravo !",
            "Rien à redire.",
            "Agréablement surpris.",
            "Continuez comme ça !",
            "Client heureux.",
        ),
        "neu": (
            "Des idées ?",
            "À suivre.",
            "Je vous dirai.",
            "Vos avis ?",
            "On verra bien.",
            "C'est pour un ami.",
        ),
        "neg": (
            "Ce n'est pas la première fois.",
            "Troisième fois ce mois-ci.",
            "Faites mieux.",
            "Je veux être remboursé.",
            "J'en ai marre.",
            "Plus jamais.",
            "Ras-le-bol.",
        ),
    },
}

TOPIC_TAGS: dict[str, dict[str, tuple[str, ...]]] = {
    "airline": {
        "en": ("#travel", "#avgeek", "#flying", "#aviation"),
        "fr": ("#voyage", "#vacances", "#aérien", "#avion"),
    },
    "telecom": {
        "en": ("#5G", "#fibre", "#broadband", "#tech"),
        "fr": ("#fibre", "#5G", "#internet", "#télécoms"),
    },
    "drinks": {
        "en": ("#summer", "#refreshing", "#healthy", "#drinks"),
        "fr": ("#été", "#apéro", "#healthy", "#boisson"),
    },
}

# Everyday talk about a brand, by sector, language and tone. {ref} is the brand's name or @handle.
SECTOR_POSTS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "airline": {
        "en": {
            "pos": (
                "Just landed in {city} with {ref}, smooth flight and a lovely crew",
                "Big thanks to the {ref} crew on my flight to {city}, super friendly and helpful!",
                "{ref} upgraded me for free today. Best airline, I love them",
                "On time, comfy seats and great coffee. {ref} nailed it today",
                "Really impressed with online check-in at {ref}. Fast, easy and friendly.",
                "Booked {city} for the holidays with {ref}, great price and the app made it so easy",
                "The {ref} lounge in {city} is excellent, best way to start a trip",
            ),
            "neu": (
                "Flying {ref} to {city} tomorrow morning. Any tips for the terminal?",
                "Can I bring two cabin bags on {ref} flights to {city}?",
                "{ref} announces new routes to {city} starting next month",
                "Checking in for my {ref} flight to {city}, gate {gate}",
                "Anyone know if {ref} serves meals on short flights?",
                "Comparing fares to {city}, {ref} is about the same as last year",
            ),
            "neg": (
                "{ref} lost my luggage again. Terrible service and nobody answers the phone",
                "Flight to {city} delayed {hours} hours and {ref} gave us zero information. Awful.",
                "Worst boarding experience ever with {ref}. Chaos at the gate and rude staff.",
                "{ref} charged me {price} for a seat change. What a ripoff",
                "The {ref} app crashed during check-in and I nearly missed my flight. Useless.",
                "Still waiting for my refund from {ref} after {weeks} weeks. Disappointing and frustrating.",
            ),
        },
        "fr": {
            "pos": (
                "Atterrissage à {city} avec {ref}, vol parfait et équipage adorable",
                "Merci à l'équipage {ref} sur mon vol pour {city}, super sympa et aux petits soins !",
                "{ref} m'a surclassé gratuitement aujourd'hui. Génial, j'adore cette compagnie",
                "À l'heure, sièges confortables et bon café. Bravo {ref} !",
                "Vraiment bluffé par l'enregistrement en ligne chez {ref}, rapide et simple.",
                "Billets pour {city} réservés avec {ref}, excellent prix et appli très pratique",
            ),
            "neu": (
                "Je prends {ref} pour {city} demain matin. Des conseils pour le terminal ?",
                "Est-ce que {ref} accepte deux bagages cabine sur les vols vers {city} ?",
                "{ref} annonce de nouvelles lignes vers {city} le mois prochain",
                "Enregistrement fait pour mon vol {ref} vers {city}, porte {gate}",
                "Quelqu'un sait si {ref} sert un repas sur les vols courts ?",
            ),
            "neg": (
                "{ref} a encore perdu ma valise. Service lamentable et personne au téléphone",
                "Vol pour {city} retardé de {hours} heures et {ref} ne donne aucune information. Nul.",
                "Embarquement catastrophique avec {ref}, chaos à la porte et personnel désagréable.",
                "{ref} m'a facturé {price} pour changer de siège. Une honte",
                "L'appli {ref} a planté pendant l'enregistrement, j'ai failli rater mon vol. Inutile.",
                "Toujours pas remboursé par {ref} après {weeks} semaines. Décevant et énervant.",
            ),
        },
    },
    "telecom": {
        "en": {
            "pos": (
                "Switched to {product} last week and the speed is amazing",
                "{ref} customer service sorted my issue in five minutes. Great job!",
                "Perfect 5G signal with {ref} even in the middle of {city}. Love it",
                "Happy with my new {product} plan, cheaper and faster. Thanks {ref}",
                "Installation by {ref} went perfectly, the technician was friendly and fast.",
            ),
            "neu": (
                "Is {ref} covering 5G in {city} yet?",
                "{ref} launches a new {product} offer starting today",
                "Thinking about getting {product}, anyone tried it?",
                "Technician from {ref} coming tomorrow between 8 and 12",
                "What's the cancellation period with {ref}?",
            ),
            "neg": (
                "No internet for {days} days and {ref} keeps telling me to restart the box. Useless",
                "{ref} doubled my bill out of nowhere. Outrageous and unfair.",
                "Dropped calls all day with {ref} in {city}. Terrible network.",
                "On hold with {ref} for {mins} minutes. Awful and ridiculous",
                "{ref} charged me for a {product} option I never ordered. Terrible, awful service.",
            ),
        },
        "fr": {
            "pos": (
                "Passé chez {product} la semaine dernière, le débit est incroyable",
                "Le service client {ref} a réglé mon problème en cinq minutes. Bravo !",
                "Réseau 5G parfait avec {ref} même en plein centre de {city}. J'adore",
                "Très content de mon nouveau forfait {product}, moins cher et plus rapide. Merci {ref}",
                "Installation {ref} nickel, technicien sympa et rapide.",
            ),
            "neu": (
                "Est-ce que {ref} couvre la 5G à {city} ?",
                "{ref} lance une nouvelle offre {product} à partir d'aujourd'hui",
                "Je pense prendre l'offre {product}, quelqu'un a testé ?",
                "Technicien {ref} prévu demain entre 8h et 12h",
                "C'est quoi le délai de résiliation chez {ref} ?",
            ),
            "neg": (
                "Plus d'internet depuis {days} jours et {ref} me dit de redémarrer la box. Inutile",
                "{ref} a doublé ma facture sans prévenir. Scandaleux.",
                "Appels coupés toute la journée avec {ref} à {city}. Réseau nul.",
                "En attente avec le support {ref} depuis {mins} minutes. C'est ridicule",
                "{ref} m'a facturé une option {product} que je n'ai jamais demandée. Service déplorable.",
            ),
        },
    },
    "drinks": {
        "en": {
            "pos": (
                "Loving {product}, so refreshing and delicious",
                "Nothing beats an ice cold {product} after a run in {city}, love it",
                "Tried the new {product} today and I love it. Perfect for summer!",
                "{ref} really nailed the flavours this year. Great stuff",
                "Brought a pack of {product} to the picnic and everyone loved it",
            ),
            "neu": (
                "Has anyone seen {product} in shops in {city}?",
                "{ref} is launching a new flavour next month apparently",
                "Does {product} have sugar in it or just sweetener?",
                "Picked up some {product} for the weekend",
            ),
            "neg": (
                "{product} tastes completely flat now. So disappointing",
                "Paid {price} for a small bottle of {product}. What a ripoff, terrible value.",
                "Found a broken seal on my {product}. Not happy at all, {ref}.",
                "The new {product} recipe is awful. Bring back the old one!",
                "{ref} shrank the bottles and raised the price. Terrible move",
            ),
        },
        "fr": {
            "pos": (
                "{product}, ma nouvelle obsession, trop rafraîchissant",
                "Rien de mieux qu'un {product} bien frais après un footing à {city}",
                "Testé le nouveau {product} aujourd'hui, j'adore. Parfait pour l'été !",
                "{ref} a vraiment réussi ses parfums cette année. Excellent",
                "Apporté un pack de {product} au pique-nique, tout le monde a adoré",
            ),
            "neu": (
                "Quelqu'un a vu du {product} en magasin à {city} ?",
                "{ref} sort un nouveau parfum le mois prochain apparemment",
                "Le {product} est sans sucre ou juste allégé ?",
                "Acheté quelques {product} pour le week-end",
            ),
            "neg": (
                "Le {product} n'a plus aucun goût. Tellement décevant",
                "{price} la petite bouteille de {product}. Du vol.",
                "Bouchon cassé sur mon {product}. Pas content du tout, {ref}.",
                "La nouvelle recette du {product} est horrible. Rendez-nous l'ancienne !",
                "{ref} a réduit les bouteilles et augmenté le prix. Honteux",
            ),
        },
    },
}

GENERIC_POSTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "pos": (
            "Really impressed by {ref} lately. Keep it up!",
            "Shoutout to {ref} for the excellent customer service today",
            "I have to say {ref} got it right this time. Great experience.",
            "Big fan of {ref}, never disappointed",
        ),
        "neu": (
            "Anyone here using {ref}? Thinking about signing up",
            "Reading about {ref} and their plans for next year",
            "{ref} just posted their quarterly numbers",
            "How do the {ref} points work exactly?",
        ),
        "neg": (
            "Really disappointed with {ref} lately. Bad service every time",
            "Never again with {ref}. Awful experience from start to finish.",
            "{ref} customer service is a bad joke. Three emails and still no answer, terrible.",
            "I'm done with {ref}, the worst customer service I've ever dealt with",
        ),
    },
    "fr": {
        "pos": (
            "Franchement {ref} assure en ce moment. Continuez comme ça !",
            "Merci {ref} pour l'excellent service client aujourd'hui",
            "Il faut le dire, {ref} a fait du super boulot cette fois. Très bonne expérience.",
            "Grand fan de {ref}, jamais déçu",
        ),
        "neu": (
            "Quelqu'un ici est chez {ref} ? J'hésite à m'inscrire",
            "Article intéressant sur {ref} et ses projets pour l'an prochain",
            "{ref} vient de publier ses résultats trimestriels",
            "Comment marche le programme de fidélité {ref} exactement ?",
        ),
        "neg": (
            "Vraiment déçu par {ref} ces derniers temps. Mauvais service à chaque fois",
            "Plus jamais {ref}. Expérience horrible du début à la fin.",
            "Le support {ref} est une blague. Trois mails et toujours aucune réponse.",
            "J'en ai fini avec {ref}, le pire service client que j'ai connu",
        ),
    },
}

# Posts naming a brand and its rival; the tone is the one towards {ref}.
COMPARISON_POSTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "pos": (
            "Switched from {rival} to {ref} and I'm so happy I did",
            "{ref} is so much better than {rival}, no contest",
            "Tried both {ref} and {rival}: {ref} wins easily. Great value.",
        ),
        "neu": ("{ref} or {rival}? Can't decide", "{ref} vs {rival}, which one do you use?"),
        "neg": (
            "{ref} is so much worse than {rival} these days, really disappointing",
            "Left {ref} for {rival} because {ref} was awful. Terrible service for years.",
        ),
    },
    "fr": {
        "pos": (
            "Adieu {rival}, bonjour {ref} ! Aucun regret",
            "{ref} est bien meilleur que {rival}, y a pas photo",
        ),
        "neu": ("{ref} ou {rival}, vous conseillez lequel ?", "Je compare {ref} et {rival}, des avis ?"),
        "neg": (
            "{ref} est bien pire que {rival} en ce moment, vraiment décevant",
            "Quitté {ref} pour {rival} parce que {ref} était nul. Service horrible depuis des années.",
        ),
    },
}

# Ordinary talk that names no watched brand.
CHATTER: dict[str, tuple[str, ...]] = {
    "en": (
        "Coffee first, then emails ☕ #mondaymood",
        "Can't believe that ending last night, what a game!",
        "Rain again in {city}. Of course it is.",
        "Anyone got good podcast recommendations for a long drive?",
        "Finally finished that book, highly recommend it",
        "The sunset tonight in {city} was unreal 🌅",
        "Working from a café in {city} today, the wifi is surprisingly good",
        "Who else is counting the days until the weekend?",
        "Made pancakes for the kids, total disaster but they loved it 😂",
        "Traffic in {city} this morning is a nightmare",
        "New running shoes, new me 🏃 #running",
        "Just booked a weekend trip to {city}! #travel",
        "Why is every meeting today at the same time",
        "Great concert last night in {city}, the crowd was amazing",
        "{n} days into learning to cook and nothing has caught fire yet",
        "Hot take: pineapple on pizza is fine",
    ),
    "fr": (
        "Café d'abord, les mails ensuite ☕ #lundi",
        "Ce match hier soir, quelle fin incroyable !",
        "Encore de la pluie à {city}. Évidemment.",
        "Des recommandations de podcasts pour un long trajet en voiture ?",
        "Enfin fini ce livre, je le recommande vivement",
        "Le coucher de soleil ce soir à {city}, magnifique 🌅",
        "Télétravail dans un café à {city} aujourd'hui, le wifi est étonnamment bon",
        "Qui d'autre compte les jours avant le week-end ?",
        "Crêpes pour les enfants ce matin, carnage total mais ils ont adoré 😂",
        "Bouchons à {city} ce matin, un cauchemar",
        "Nouvelles baskets de running, nouvelle vie 🏃 #running",
        "Week-end à {city} réservé ! #voyage",
        "Pourquoi toutes les réunions sont à la même heure aujourd'hui",
        "Grosse soirée concert hier à {city}, ambiance de folie",
        "Jour {n} de mes cours de cuisine et rien n'a encore pris feu",
    ),
}

# Bot-like accounts: deal spam naming a brand.
SPAM: dict[str, tuple[str, ...]] = {
    "en": (
        "🔥 DEAL ALERT: {brand} {deal} at -{pct}% today only 👉 {link} #deal #promo",
        "Win a {product} voucher! Follow + RT to enter 🎁 {link} #giveaway",
        "💸 Get {pct}% off {brand} with code SAVE{n} {link}",
    ),
    "fr": (
        "🔥 BON PLAN : {deal} {brand} à -{pct}% aujourd'hui seulement 👉 {link} #bonplan #promo",
        "Gagnez un bon {product} ! Suivez + RT pour participer 🎁 {link} #concours",
        "💸 {pct}% de réduction chez {brand} avec le code PROMO{n} {link}",
    ),
}

DEALS: dict[str, dict[str, str]] = {
    "airline": {"en": "flights", "fr": "vols"},
    "telecom": {"en": "plans", "fr": "forfaits"},
    "drinks": {"en": "multipacks", "fr": "packs"},
}

# Journalists and media outlets in ordinary times.
NEWS: dict[str, tuple[str, ...]] = {
    "en": (
        "{brand} reports {pct}% revenue growth for the quarter {link}",
        "{brand} to expand in {city}, company says {link}",
        "{brand} names a new chief executive {link}",
        "Analysis: how {brand} plans to win back customers {link}",
    ),
    "fr": (
        "{brand} annonce une croissance de {pct} % sur le trimestre {link}",
        "{brand} va renforcer sa présence à {city} {link}",
        "{brand} nomme un nouveau directeur général {link}",
        "Analyse : comment {brand} veut reconquérir ses clients {link}",
    ),
}

# The brands' own accounts.
OFFICIAL_POSTS: dict[str, dict[str, tuple[str, ...]]] = {
    "airline": {
        "en": (
            "New routes to {city} this season! Book now ✈️ {link}",
            "Thanks for choosing us, we love having you on board 💙 {tag}",
        ),
        "fr": (
            "Nouvelle destination : {city} dès cette saison ! Réservez ✈️ {link}",
            "Merci de voyager avec nous, c'est un plaisir de vous accueillir à bord 💙 {tag}",
        ),
    },
    "telecom": {
        "en": (
            "Our fibre is now available in {city}! Check your eligibility {link}",
            "Great news: {product} is now even faster, at the same price 🚀 {tag}",
        ),
        "fr": (
            "La fibre arrive à {city} ! Testez votre éligibilité {link}",
            "Bonne nouvelle : {product} encore plus rapide, au même prix 🚀 {tag}",
        ),
    },
    "drinks": {
        "en": (
            "New flavour alert 🍋 {product} is in stores now! {link}",
            "Stay fresh this weekend with {product} 💧 {tag}",
        ),
        "fr": (
            "Nouveau parfum 🍋 {product} disponible en magasin ! {link}",
            "Restez au frais ce week-end avec {product} 💧 {tag}",
        ),
    },
}


class Slots(dict[str, str]):
    """Template values drawn on first use from `rng` (a dict for `str.format_map`)."""

    def __init__(
        self,
        rng: random.Random,
        brand: Brand | None,
        lang: str,
        rival: Brand | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        super().__init__(extra or {})
        self.rng = rng
        self.brand = brand
        self.lang = lang
        self.rival = rival

    def __missing__(self, key: str) -> str:
        value = self._draw(key)
        self[key] = value
        return value

    def _draw(self, key: str) -> str:
        rng, brand, lang = self.rng, self.brand, self.lang
        if key == "city":
            return rng.choice(CITIES[lang])
        if key == "n":
            return str(rng.randint(2, 99))
        if key == "hours":
            return str(rng.randint(2, 9))
        if key == "days":
            return str(rng.randint(2, 6))
        if key == "mins":
            return str(rng.randint(25, 95))
        if key == "weeks":
            return str(rng.randint(3, 9))
        if key == "pct":
            return str(rng.choice((10, 15, 20, 25, 30, 40, 50, 60)))
        if key == "gate":
            return f"{rng.choice('ABCDEFK')}{rng.randint(1, 48)}"
        if key == "price":
            amount = rng.choice((9, 12, 15, 19, 25, 35, 45, 60, 75, 90))
            return f"{amount} €" if lang == "fr" else rng.choice(("£", "$", "€")) + str(amount)
        assert brand is not None, key
        if key == "ref":
            return f"@{brand.handle}" if rng.random() < 0.35 else brand.name
        if key == "brand":
            return brand.name
        if key == "product":
            return rng.choice(brand.products)
        if key == "tag":
            return "#" + rng.choice(brand.tags)
        if key == "deal":
            return DEALS[brand.sector][lang]
        if key == "rival":
            assert self.rival is not None
            return f"@{self.rival.handle}" if rng.random() < 0.2 else self.rival.name
        if key == "link":
            return f"https://{brand.site}/{'fr' if lang == 'fr' else 'en'}/{rng.randrange(36**6):x}"
        raise KeyError(key)


def fill(template: str, slots: Slots) -> str:
    return template.format_map(slots)
