"""The "Historique des Consommations" page: its rows, its filter and its CSV export ("Exporter")."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kit.excel import excel_csv, safe_text
from kit.fr import euros, euros_plain

HEADER = ("Date", "Nom", "Prénom", "Activité", "Prix (€)", "Qté", "Total (€)")
TOTAL_LABEL = "TOTAL(€)"
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


@dataclass(frozen=True)
class ConsumptionRow:
    day: date
    last_name: str
    first_name: str
    activity: str
    unit_price_cents: int
    quantity: int
    total_cents: int


def row_of(line) -> ConsumptionRow:
    """The row of a consumption line (services/billing/domain/consumptions.py)."""
    return ConsumptionRow(line.day, line.last_name, line.first_name, line.activity_name, line.unit_price_cents,
                          line.quantity, line.total_cents)


def french_date(day: date) -> str:
    """JJ/MM/AAAA."""
    return day.strftime("%d/%m/%Y")


def total_cents(rows: Sequence[ConsumptionRow]) -> int:
    return sum(row.total_cents for row in rows)


def csv_bytes(rows: Sequence[ConsumptionRow], title: str) -> bytes:
    """The export, for Excel in French (kit/excel.py: UTF-8 with BOM, ";" separated, CRLF line ends).

    The header first, one line per row, then the closing total line ";;;;;TOTAL(€);78,77". Amounts carry
    no thousands separator so that the spreadsheet reads numbers. ``title`` is not written: a first line
    that is not the header would break the sort and filter of the sheet and the readers of the file (the
    caller names the file after it).
    """
    del title  # part of the interface, not of the data (see above)
    lines = [[french_date(row.day), safe_text(row.last_name), safe_text(row.first_name), safe_text(row.activity),
              euros_plain(row.unit_price_cents), str(row.quantity), euros_plain(row.total_cents)] for row in rows]
    lines.append(["", "", "", "", "", TOTAL_LABEL, euros_plain(total_cents(rows))])
    return excel_csv(HEADER, lines)


def fold(text: str) -> str:
    """Lower case, without accents and with ordinary spaces: "Prénom  Œ" → "prenom oe"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def _haystack(row: ConsumptionRow) -> list[str]:
    prices = [euros(row.unit_price_cents), euros(row.total_cents),
              euros_plain(row.unit_price_cents), euros_plain(row.total_cents)]
    prices += [p.replace(",", ".") for p in prices[2:]]
    fields = [french_date(row.day), row.last_name, row.first_name, row.activity, *prices]
    return [fold(field) for field in fields]


def filter_rows(rows: Sequence[ConsumptionRow], query: str) -> list[ConsumptionRow]:
    """The page's "Date, prénom, activité, etc." filter.

    Case- and accent-insensitive. Each word of the query must appear within one of the row's fields
    (date JJ/MM/AAAA, last name, first name, activity, unit price, total), so "rayley repas" keeps
    Rayley's meals. A blank query keeps every row. The rows keep their order.
    """
    words = fold(query).split()
    if not words:
        return list(rows)
    kept = []
    for row in rows:
        haystack = _haystack(row)
        if all(any(word in field for field in haystack) for word in words):
            kept.append(row)
    return kept
