"""complaint_suggested: French and English complaint phrases (the channels call it)."""

import pytest

from guichet.quality.detection import complaint_suggested


@pytest.mark.parametrize(
    "text",
    [
        "Je souhaite déposer une RÉCLAMATION concernant ma commande",
        "Je vais porter plainte",
        "Votre service est inadmissible !",
        "Remboursement exigé sous 8 jours",
        "J'exige un remboursement",
        "Je suis très mécontente du livreur",
        "I want to complain about the delivery",
        "This is unacceptable.",
        "I demand a full refund",
        "I will contact the ombudsman",
    ],
)
def test_complaint_phrases_are_detected(text):
    assert complaint_suggested(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour, où en est ma commande ?",
        "Merci beaucoup pour votre aide",
        "Can I change my delivery address?",
        "",
    ],
)
def test_ordinary_requests_are_not(text):
    assert not complaint_suggested(text)
