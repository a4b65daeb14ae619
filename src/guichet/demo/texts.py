"""Fills the French templates of demo.pools for one case: order numbers, products with their
articles and agreements, dates relative to the case, greetings and signatures."""

from __future__ import annotations

import random
from datetime import timedelta

from guichet.demo import pools
from guichet.demo.hours import DAY, local_date
from guichet.demo.population import CustomerBook

_VOWELS = "aeiouyéèêàâîôûh"


def _capital(value: str) -> str:
    return value[:1].upper() + value[1:]


def product_forms(name: str, feminine: bool) -> dict[str, str]:
    elided = name[0].lower() in _VOWELS
    le = "l'" if elided else ("la " if feminine else "le ")
    du = "de l'" if elided else ("de la " if feminine else "du ")
    mon = "mon " if elided or not feminine else "ma "
    return {
        "pe": "e" if feminine else "",
        "il": "elle" if feminine else "il",
        "Il": "Elle" if feminine else "Il",
        "produit": name,
        "Produit": _capital(name),
        "le_produit": le + name,
        "Le_produit": _capital(le + name),
        "du_produit": du + name,
        "mon_produit": mon + name,
    }


def french_date(ts: int, weekday: bool = False) -> str:
    day = local_date(ts)
    text = f"{'1er' if day.day == 1 else day.day} {pools.MONTHS[day.month - 1]}"
    return f"{pools.WEEKDAYS[day.weekday()]} {text}" if weekday else text


def _not_sunday(ts: int) -> int:
    return ts + DAY if local_date(ts).weekday() == 6 else ts


_PRODUCTS_BY_KINDS = {
    kinds: tuple(p for p in pools.PRODUCTS if p[2] in kinds)
    for group in pools.SCENARIOS.values()
    for scenario in group
    if (kinds := scenario.get("produits"))
}


def scenarios_for(slug: str) -> list[dict[str, object]]:
    return pools.SCENARIOS.get(slug) or pools.GENERIC_SCENARIOS


class Texts:
    """Every sentence of the demo comes out of here, drawn with the generator's random.Random."""

    def __init__(self, rng: random.Random, book: CustomerBook) -> None:
        self.rng = rng
        self.book = book

    def context(self, *, ts: int, customer: int, scenario: dict[str, object]) -> dict[str, str]:
        rng = self.rng
        kinds = scenario.get("produits")
        name, feminine, _kind = rng.choice(_PRODUCTS_BY_KINDS[kinds] if kinds else pools.PRODUCTS)
        first, last, female = self.book.names[customer]
        price = rng.choice((19, 24, 29, 39, 49, 59, 79, 89, 119, 149, 199, 249, 349, 499, 899))
        cents = rng.choice(("00", "90", "99", "50"))
        next_month = local_date(ts).replace(day=1) + timedelta(days=32)
        return {
            **product_forms(name, feminine),
            "commande": f"{rng.randrange(10_000_000, 99_999_999)}",
            "facture": f"FA-{local_date(ts).year}-{rng.randrange(1, 99_999):05d}",
            "montant": f"{price},{cents} €",
            "date_commande": french_date(ts - rng.randrange(2, 15) * DAY),
            "date_demande": french_date(ts),
            "jour": french_date(_not_sunday(ts + rng.randrange(1, 5) * DAY), weekday=True),
            "mois_suivant": pools.MONTHS[next_month.month - 1],
            "transporteur": rng.choice(pools.CARRIERS),
            "e": "e" if female else "",
            "client": f"{first} {last}",
            "client_nom": f"{'Madame' if female else 'Monsieur'} {last}",
            "societe": pools.COMPANY,
        }

    def fill(self, template: object, ctx: dict[str, str]) -> str:
        return str(template).format_map(ctx)

    def subject(self, scenario: dict[str, object], ctx: dict[str, str]) -> str:
        return self.fill(self.rng.choice(scenario["sujets"]), ctx)  # type: ignore[arg-type]

    def written(self, core: str, ctx: dict[str, str]) -> str:
        """A customer's email or portal message around `core`."""
        rng = self.rng
        return (
            f"{rng.choice(pools.GREETINGS_CUSTOMER)}\n\n{core}\n\n"
            f"{rng.choice(pools.CLOSINGS_CUSTOMER)}\n{ctx['client']}"
        )

    def opening(self, scenario: dict[str, object], ctx: dict[str, str], channel: str) -> str:
        if channel == "phone":
            return f"Appel de {ctx['client_nom']} : {self.fill(scenario['resume'], ctx)}."
        if channel == "chat":
            return self.fill(scenario["court"], ctx)
        return self.written(self.fill(scenario["message"], ctx), ctx)

    def repeat_subject(self, ctx: dict[str, str]) -> str:
        return self.fill(self.rng.choice(pools.REPEAT_SUBJECTS), ctx)

    def repeat_opening(self, scenario: dict[str, object], ctx: dict[str, str], channel: str) -> str:
        if channel == "phone":
            return (
                f"Appel de {ctx['client_nom']} qui rappelle au sujet de sa demande du "
                f"{ctx['date_demande']} : {self.fill(scenario['resume'], ctx)}."
            )
        short = self.fill(scenario["court"], ctx).removeprefix("Bonjour, ")
        core = self.fill(self.rng.choice(pools.REPEAT_MESSAGES), {**ctx, "court": _capital(short)})
        return core if channel == "chat" else self.written(core, ctx)

    def agent(self, core: str, ctx: dict[str, str], agent: str, team: str, chat: bool) -> str:
        """An agent's public reply: a named person, never "the customer service"."""
        if chat:
            return f"Bonjour {ctx['client_nom']}, {core[:1].lower()}{core[1:]}"
        return (
            f"Bonjour {ctx['client_nom']},\n\n{core}\n\n{self.rng.choice(pools.CLOSINGS_AGENT)}\n"
            f"{agent}\n{team} – {pools.COMPANY}"
        )

    def customer_line(self, choices: tuple[str, ...], ctx: dict[str, str], chat: bool) -> str:
        core = self.fill(self.rng.choice(choices), ctx)
        return core if chat else self.written(core, ctx)

    def pick(self, choices: tuple[str, ...], ctx: dict[str, str]) -> str:
        return self.fill(self.rng.choice(choices), ctx)
