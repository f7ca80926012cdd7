"""French for people: days and months written out, amounts in euros. The one place these are spelt, so
that a page, a mail, a PDF and an export say the same thing (ADR 0003: money is integer cents).

Rules (`services/*/domain/`) never format for people: they return dates and cents, and the layer that
answers (HTTP, mail, PDF) writes them with these functions."""

from __future__ import annotations

import re
from datetime import date

from kit.clock import PARIS

__all__ = ["MONTHS", "PARIS", "WEEKDAYS", "WEEKDAYS_SHORT", "euros", "euros_plain", "euros_symbol", "long_date",
           "month_year", "parse_euros", "written_day"]

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_SHORT = ("Lun", "Mar", "Mer", "Jeu", "Ven", "Sam", "Dim")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def long_date(d: date) -> str:
    """« jeudi 4 février 2027 », as in a sentence."""
    return f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}"


def written_day(d: date) -> str:
    """« Jeudi 4 Février 2027 », as the guide writes a day in a list (weekday and month capitalised)."""
    return f"{WEEKDAYS[d.weekday()].capitalize()} {d.day} {MONTHS[d.month - 1].capitalize()} {d.year}"


def month_year(year: int, month: int) -> str:
    """« Février 2027 »."""
    return f"{MONTHS[month - 1].capitalize()} {year}"


# -- money: integer cents, written and read the French way ("1 234,50 €"), never through float ------------
THOUSANDS = "\u202f"  # narrow no-break space, the French thousands separator
_NBSP = "\u00a0"

# Optional sign, then either grouped thousands (any kind of space) or plain digits, then an optional
# decimal part of one or two digits after "," or "."; an optional trailing euro sign.
_AMOUNT = re.compile(
    r"(?P<sign>[-\u2212])?\s*"
    r"(?P<units>[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)"
    r"(?:[.,](?P<decimals>[0-9]{1,2}))?"
    r"\s*(?:€|EUR)?",
    re.IGNORECASE,
)


def _format(cents: int, separator: str) -> str:
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise TypeError("amounts are integer cents")
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    digits = str(units)
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return f"{sign}{separator.join(groups)},{rest:02d}"


def euros(cents: int) -> str:
    """7877 → "78,77"; 123450 → "1 234,50" (U+202F between thousands); -298 → "-2,98"."""
    return _format(cents, THOUSANDS)


def euros_plain(cents: int) -> str:
    """Like euros() without thousands separator ("1234,50"): what a spreadsheet reads as a number."""
    return _format(cents, "")


def euros_symbol(cents: int) -> str:
    """7877 → "78,77 €" (no-break space before the euro sign)."""
    return f"{euros(cents)}{_NBSP}€"


def parse_euros(text: str) -> int:
    """ "3,59", "3.59", "3", "1 234,50", "-2,98", "78,77 €" → cents. ValueError (in French) otherwise."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"Montant invalide : « {text.strip()} ». Exemple de montant valide : 1 234,50")
    units = int(re.sub(r"[^0-9]", "", match["units"]))
    decimals = (match["decimals"] or "0").ljust(2, "0")
    cents = units * 100 + int(decimals)
    return -cents if match["sign"] else cents
