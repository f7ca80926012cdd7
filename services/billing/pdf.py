"""Printable documents of billing: the consumption history ("Imprimer") and invoices.

Font: the PDF standard Helvetica (one of the 14 fonts every PDF reader has), written with
WinAnsiEncoding (windows-1252). That code page holds every character of French, the euro sign, œ/Œ,
Ÿ, « », typographic quotes and dashes, so no font file is embedded or shipped and the output does not
depend on what the machine has installed (the service image, python:3.11-slim, has no DejaVu).
A character outside windows-1252 (a Polish ł, a Turkish ş...) is written without its accent when it has
one, or as "?".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

from kit.fr import euros
from services.billing.exports import TOTAL_LABEL, ConsumptionRow, french_date, total_cents

HISTORY_HEADING = "Historique des Consommations"
_ENCODING = "windows-1252"
_FONT = "Helvetica"
_HEADER_FILL = (230, 233, 240)
# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})


def pdf_text(text: str) -> str:
    """Text the standard fonts can show: spaces made plain no-break ones, unknown letters unaccented."""
    text = text.replace("\u202f", "\u00a0").replace("\u2009", "\u00a0").translate(_LETTERS)
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            char.encode(_ENCODING)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            base.encode(_ENCODING)
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


class _Document(FPDF):
    """A4 portrait, Helvetica in windows-1252, page numbers in the footer, no clock read."""

    def __init__(self, title: str, created: date) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = _ENCODING
        # FPDF stamps "now" by default; a date given by the caller keeps the document reproducible.
        self.creation_date = datetime(created.year, created.month, created.day, tzinfo=UTC)
        self.set_title(pdf_text(title))
        self.set_creator("Portail Famille")
        self.set_producer("Portail Famille")
        self.set_lang("fr-FR")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)
        self.alias_nb_pages()
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def text_line(self, text: str, *, size: float = 10, style: str = "", height: float = 6,
                  align: str = "L") -> None:
        self.set_font(_FONT, style=style, size=size)
        self.multi_cell(0, height, pdf_text(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def labelled_amount(self, label: str, cents: int, *, bold: bool = False) -> None:
        """"label      12,34" flush right, under the table."""
        style = "B" if bold else ""
        self.set_font(_FONT, style=style, size=10)
        self.set_x(self.w - self.r_margin - 90)
        self.cell(60, 7, pdf_text(label), align="R")
        self.cell(30, 7, pdf_text(euros(cents)), align="R", new_x="LMARGIN", new_y="NEXT")

    def grid(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int],
             align: Sequence[str]) -> None:
        self.set_font(_FONT, size=9)
        headings = FontFace(emphasis="BOLD", fill_color=_HEADER_FILL)
        with self.table(col_widths=tuple(widths), text_align=tuple(align), headings_style=headings,
                        line_height=6, repeat_headings=1, width=sum(widths)) as table:
            heading = table.row()
            for label in header:
                heading.cell(pdf_text(label))
            for values in rows:
                line = table.row()
                for value in values:
                    line.cell(pdf_text(value))
        self.ln(2)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def consumptions_pdf(rows: Sequence[ConsumptionRow], title: str, family_label: str) -> bytes:
    """The printable history: heading, ``title`` (e.g. the period), the family, the table and the total."""
    # Creation date in the metadata: the last consumption day (the function has no clock and no "today").
    created = max((row.day for row in rows), default=date(1970, 1, 1))
    heading = title.strip() if title.strip().startswith(HISTORY_HEADING) else " - ".join(
        part for part in (HISTORY_HEADING, title.strip()) if part)
    doc = _Document(heading, created=created)
    doc.text_line(HISTORY_HEADING, size=16, style="B", height=9)
    if title.strip() and title.strip() != HISTORY_HEADING:
        subtitle = title.strip().removeprefix(HISTORY_HEADING).lstrip(" -–—:")
        doc.text_line(subtitle or title.strip(), size=12)
    if family_label.strip():
        doc.text_line(family_label.strip())
    doc.ln(3)
    if rows:
        doc.grid(
            ("Date", "Nom", "Prénom", "Activité", "Prix (€)", "Qté", "Total (€)"),
            [
                (french_date(r.day), r.last_name, r.first_name, r.activity, euros(r.unit_price_cents),
                 str(r.quantity), euros(r.total_cents))
                for r in rows
            ],
            widths=(22, 30, 30, 48, 18, 12, 20),
            align=("C", "L", "L", "L", "R", "R", "R"),
        )
    else:
        doc.text_line("Aucune consommation sur cette période.", style="I")
        doc.ln(2)
    doc.labelled_amount(TOTAL_LABEL, total_cents(rows), bold=True)
    return doc.to_bytes()


@dataclass(frozen=True)
class InvoiceLine:
    day: date
    child: str
    activity: str
    unit_price_cents: int
    quantity: int
    total_cents: int


@dataclass(frozen=True)
class InvoiceDoc:
    number: str
    family_label: str
    structure: str
    period_label: str  # e.g. "Décembre 2019"
    issued_on: date
    due_on: date
    lines: Sequence[InvoiceLine]
    total_cents: int
    paid_cents: int


def invoice_pdf(doc: InvoiceDoc) -> bytes:
    """The invoice: number, period, lines, total, already paid, what remains to pay and by when.

    ValueError when the lines do not add up to the total (an invoice must be consistent).
    """
    lines_total = sum(line.total_cents for line in doc.lines)
    if lines_total != doc.total_cents:
        raise ValueError(
            f"Facture n° {doc.number} : le total des lignes ({euros(lines_total)}) "
            f"diffère du total ({euros(doc.total_cents)})."
        )
    remaining = doc.total_cents - doc.paid_cents
    title = f"Facture n° {doc.number}"
    pdf = _Document(title, created=doc.issued_on)

    pdf.text_line(doc.structure, size=12, style="B")
    pdf.ln(2)
    pdf.text_line(doc.family_label, align="R")
    pdf.ln(4)
    pdf.text_line(title, size=16, style="B", height=9)
    pdf.text_line(f"Période : {doc.period_label}")
    pdf.text_line(f"Date d'émission : {french_date(doc.issued_on)}")
    pdf.ln(3)
    if doc.lines:
        pdf.grid(
            ("Date", "Enfant", "Activité", "Prix (€)", "Qté", "Total (€)"),
            [
                (french_date(line.day), line.child, line.activity, euros(line.unit_price_cents),
                 str(line.quantity), euros(line.total_cents))
                for line in doc.lines
            ],
            widths=(22, 44, 64, 18, 12, 20),
            align=("C", "L", "L", "R", "R", "R"),
        )
    else:
        pdf.text_line("Aucune prestation facturée sur cette période.", style="I")
        pdf.ln(2)
    pdf.labelled_amount("Total (€)", doc.total_cents)
    pdf.labelled_amount("Déjà réglé (€)", doc.paid_cents)
    pdf.labelled_amount("Reste à payer (€)", max(remaining, 0), bold=True)
    if remaining < 0:
        pdf.labelled_amount("Trop-perçu (€)", -remaining)
    pdf.ln(4)
    if remaining > 0:
        pdf.text_line(f"Date limite de paiement : {french_date(doc.due_on)}", style="B")
    else:
        pdf.text_line("Facture acquittée.", style="B")
    return pdf.to_bytes()
