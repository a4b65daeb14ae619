"""Does a message read like a complaint? A keyword detector for the email and portal channels.

It only *suggests*: an agent confirms with `complaint_open` (ISO 10002 definition: an expression
of dissatisfaction where a response is expected). False positives cost an agent one glance;
false negatives are what the customer suffers from, so the list leans wide.
"""

from __future__ import annotations

import re
import unicodedata

# Written without accents and in lower case; the text is folded the same way before matching.
_PATTERNS = [
    # French
    r"reclamation",
    r"reclamer",
    r"\bplainte",
    r"porter plainte",
    r"je me plains",
    r"inadmissible",
    r"inacceptable",
    r"scandaleu[xs]e?",
    r"honteu[xs]e?",
    r"remboursement (exige|immediat)",
    r"j'?exige (un |le |d'etre )?rembours",
    r"je (suis|reste) (tres |extremement )?(mecontent|decu)e?",
    r"pas (du tout )?satisfaite?",
    r"mediateur",
    r"(association de )?consommateurs?.{0,20}(saisir|alerter|contacter)",
    r"mise en demeure",
    r"litige",
    r"dedommagement",
    r"\bindemnis",
    # English
    r"\bcomplain(t|ts|ing|ed)?\b",
    r"i want to complain",
    r"unacceptable",
    r"outrageous",
    r"disgraceful",
    r"(demand|want) (a |my )?(full )?refund",
    r"very (disappointed|unhappy|dissatisfied)",
    r"\bdissatisfied\b",
    r"\bombudsman\b",
    r"\bmediator\b",
    r"formal notice",
]
_REGEX = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().replace("’", "'").split())


def complaint_keywords(text: str) -> list[str]:
    """The phrases that matched (folded), for showing the agent why a complaint is suggested."""
    return sorted({m.group(0) for m in _REGEX.finditer(_fold(text))})


def complaint_suggested(text: str) -> bool:
    """True when the text contains a French or English complaint phrase.

    >>> complaint_suggested("Je souhaite déposer une réclamation")
    True
    >>> complaint_suggested("Where is my parcel?")
    False
    """
    return _REGEX.search(_fold(text)) is not None
