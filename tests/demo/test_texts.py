"""Every French template of the demo fills in, for a woman and a man, with any product."""

import itertools

import pytest

from guichet.demo import pools
from guichet.demo.chance import Chance
from guichet.demo.population import CustomerBook, CustomerSpec
from guichet.demo.texts import Texts, product_forms
from tests.demo.support import END_TS


def _texts() -> Texts:
    book = CustomerBook()
    for index, female in enumerate((True, False)):
        book.add(CustomerSpec(index, "Camille", "Roux", female, f"c{index}@x.example", "", "", "",
                              False, END_TS, 1.0))  # fmt: skip
    return Texts(Chance(1), book)


SCENARIOS = [s for group in pools.SCENARIOS.values() for s in group] + pools.GENERIC_SCENARIOS
LINES = [
    *pools.ASK_INFO.values(),
    *pools.CUSTOMER_ANSWERS,
    *pools.INVESTIGATING,
    *itertools.chain(*pools.INVESTIGATING_BY_CATEGORY.values()),
    *pools.CHASERS,
    *itertools.chain(*pools.NOTES.values()),
    *itertools.chain(*pools.REOPEN_MESSAGES.values()),
    *pools.REPEAT_SUBJECTS,
    *pools.CALL_OUTCOMES,
]


@pytest.mark.parametrize("customer", [0, 1], ids=["woman", "man"])
def test_every_scenario_fills_in_completely(customer):
    texts = _texts()
    for scenario in SCENARIOS:
        ctx = texts.context(ts=END_TS, customer=customer, scenario=scenario)
        for channel in ("email", "phone", "chat"):
            for text in (texts.subject(scenario, ctx), texts.opening(scenario, ctx, channel),
                         texts.repeat_opening(scenario, ctx, channel),
                         texts.fill(scenario["reponse"], ctx)):  # fmt: skip
                assert text.strip()
                assert "{" not in text and "}" not in text, text
        for line in LINES:
            assert "{" not in texts.fill(line, ctx)


def test_products_agree_with_their_articles():
    assert product_forms("étagère murale", True)["du_produit"] == "de l'étagère murale"
    assert product_forms("lampe", True)["mon_produit"] == "ma lampe"
    assert product_forms("horloge", True)["mon_produit"] == "mon horloge"
    assert product_forms("vase", False)["Le_produit"] == "Le vase"
    assert product_forms("théière", True)["pe"] == "e"


def test_scenarios_only_use_products_that_make_sense():
    texts = _texts()
    screws = next(s for s in pools.SCENARIOS["sav"] if "Pièce manquante" in s["sujets"])
    furniture = {name for name, _f, kind in pools.PRODUCTS if kind == pools.MEUBLE}
    for _ in range(50):
        assert texts.context(ts=END_TS, customer=0, scenario=screws)["produit"] in furniture
