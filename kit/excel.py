"""CSV files for Excel in French, written one way for every export (the family's consumptions, the staff's
rosters): UTF-8 with a BOM (so that Excel reads the accents), ";" separated (the French list separator, the
comma being the decimal one), CRLF line ends, and text cells that a spreadsheet will not run as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

__all__ = ["BOM", "CONTENT_TYPE", "excel_csv", "safe_text"]

BOM = "\ufeff"
CONTENT_TYPE = "text/csv"


def safe_text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (names and remarks are typed by families)."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """The header, then one line per row, as Excel in French opens it. Cells are written as given: the
    caller passes text typed by people through `safe_text` and numbers already written the French way."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM + out.getvalue()).encode("utf-8")
