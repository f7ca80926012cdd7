"""Billing's money formatting, the consumption history exports (CSV, PDF) and the invoice PDF."""

import csv
import dataclasses
import io
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from kit.fr import euros, euros_plain, euros_symbol, parse_euros
from services.billing.exports import ConsumptionRow, csv_bytes, filter_rows
from services.billing.pdf import InvoiceDoc, InvoiceLine, consumptions_pdf, invoice_pdf, pdf_text

NNBSP = "\u202f"
NBSP = "\u00a0"

# The guide's "Historique des Consommations", December 2019, as printed (tab separated; the name is in
# the "Nom" column, "Prénom" is empty).
GUIDE_TABLE = """\
20/12/2019\tChanelya\t\tREPAS SCOLAIRE\t3,59\t1\t3,59
20/12/2019\tNidison\t\tREPAS SCOLAIRE\t2,98\t1\t2,98
20/12/2019\tRayley\t\tREPAS SCOLAIRE\t2,98\t1\t2,98
19/12/2019\tChanelya\t\tREPAS SCOLAIRE\t3,59\t1\t3,59
19/12/2019\tNidison\t\tREPAS SCOLAIRE\t2,98\t1\t2,98
19/12/2019\tRayley\t\tREPAS SCOLAIRE\t2,98\t1\t2,98
17/12/2019\tChanelya\t\tREPAS SCOLAIRE\t3,59\t1\t3,59
17/12/2019\tNidison\t\tREPAS SCOLAIRE\t2,98\t1\t2,98
17/12/2019\tRayley\t\tREPAS SCOLAIRE\t2,98\t1\t2,98
16/12/2019\tChanelya\t\tREPAS SCOLAIRE\t3,59\t1\t3,59
16/12/2019\tNidison\t\tREPAS SCOLAIRE\t2,98\t1\t2,98
16/12/2019\tRayley\t\tREPAS SCOLAIRE\t2,98\t1\t2,98"""
GUIDE_LINES = [line.split("\t") for line in GUIDE_TABLE.splitlines()]
GUIDE_HEADER = ["Date", "Nom", "Prénom", "Activité", "Prix (€)", "Qté", "Total (€)"]


def row_from(cells):
    day, last, first, activity, unit, qty, total = cells
    return ConsumptionRow(datetime.strptime(day, "%d/%m/%Y").date(), last, first, activity,
                          parse_euros(unit), int(qty), parse_euros(total))


GUIDE_ROWS = [row_from(cells) for cells in GUIDE_LINES]
# The guide's TOTAL(€) 78,77 is the whole month; its screenshot shows only the 12 lines above
# (38,20). These earlier lines are made up, at the same prices, to reach the guide's total.
EARLIER_ROWS = (
    [ConsumptionRow(date(2019, 12, d), "Chanelya", "", "REPAS SCOLAIRE", 359, 1, 359) for d in (2, 3, 5)]
    + [ConsumptionRow(date(2019, 12, d), name, "", "REPAS SCOLAIRE", 298, 1, 298)
       for d in (2, 3, 5, 9, 10) for name in ("Nidison", "Rayley")]
)
MONTH_ROWS = GUIDE_ROWS + EARLIER_ROWS


# --- money -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cents", "text"), [
    (0, "0,00"), (5, "0,05"), (359, "3,59"), (7877, "78,77"), (100_000, f"1{NNBSP}000,00"),
    (123_450, f"1{NNBSP}234,50"), (123_456_789, f"1{NNBSP}234{NNBSP}567,89"), (-298, "-2,98"),
    (-123_450, f"-1{NNBSP}234,50"), (99_999, "999,99"),
])
def test_euros(cents, text):
    assert euros(cents) == text
    assert euros_plain(cents) == text.replace(NNBSP, "")


def test_euros_symbol():
    assert euros_symbol(359) == f"3,59{NBSP}€"
    assert euros_symbol(-123_450) == f"-1{NNBSP}234,50{NBSP}€"


def test_euros_refuses_floats():
    with pytest.raises(TypeError):
        euros(3.59)


@pytest.mark.parametrize(("text", "cents"), [
    ("3,59", 359), ("3.59", 359), ("3", 300), ("3,5", 350), ("0,05", 5), (" 78,77 ", 7877),
    ("1 234,50", 123_450), (f"1{NNBSP}234,50", 123_450), (f"1{NBSP}234,50", 123_450), ("1234,50", 123_450),
    ("-2,98", -298), ("78,77 €", 7877), (f"78,77{NBSP}€", 7877), ("0", 0),
    ("12345678901234567890,99", 1234567890123456789099),  # no float on the way: exact
])
def test_parse_euros(text, cents):
    assert parse_euros(text) == cents


@pytest.mark.parametrize("text", [
    "", "  ", "abc", "3,599", "3,", ",5", "3,5,9", "1.234,50", "12 34", "1 2345", "3.59.1", "€", "--3",
    "3e2", "inf", "nan", "+-1", "٣,٥٩",
])
def test_parse_euros_refuses(text):
    with pytest.raises(ValueError, match="Montant invalide"):
        parse_euros(text)


@given(st.integers(-10**12, 10**12))
def test_parse_euros_round_trip(cents):
    assert parse_euros(euros(cents)) == cents
    assert parse_euros(euros_symbol(cents)) == cents
    assert parse_euros(euros_plain(cents)) == cents
    assert parse_euros(euros_plain(cents).replace(",", ".")) == cents


# --- CSV -------------------------------------------------------------------------------------------

def read_csv(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_csv_reproduces_the_guide():
    lines = read_csv(csv_bytes(GUIDE_ROWS, ""))
    assert lines[0] == GUIDE_HEADER
    assert lines[1:-1] == GUIDE_LINES
    assert lines[-1] == ["", "", "", "", "", "TOTAL(€)", "38,20"]


def test_csv_total_of_the_month_header_first_whatever_the_title():
    data = csv_bytes(MONTH_ROWS, "Historique des Consommations - Décembre 2019")
    assert data.decode("utf-8").splitlines()[-1] == ";;;;;TOTAL(€);78,77"
    assert data.startswith("\ufeffDate;Nom;Prénom;Activité;Prix (€);Qté;Total (€)\r\n".encode())
    lines = read_csv(data)
    assert lines[1:13] == GUIDE_LINES
    assert len(lines) == 1 + len(MONTH_ROWS) + 1
    assert csv_bytes(MONTH_ROWS, "") == data


def test_csv_quotes_separators_and_defuses_formulas():
    rows = [
        ConsumptionRow(date(2020, 1, 6), "Dupont; Durand", 'Jean "Jo"', "=HYPERLINK(1)", 123_450, 2, 246_900),
        ConsumptionRow(date(2020, 1, 7), "@evil", "-x", "+1", 0, 1, 0),
    ]
    lines = read_csv(csv_bytes(rows, "=1+1"))
    assert lines[1] == ["06/01/2020", "Dupont; Durand", 'Jean "Jo"', "'=HYPERLINK(1)", "1234,50", "2", "2469,00"]
    assert lines[2][1:4] == ["'@evil", "'-x", "'+1"]
    assert lines[-1][-1] == "2469,00"


def test_csv_without_rows():
    lines = read_csv(csv_bytes([], ""))
    assert lines == [GUIDE_HEADER, ["", "", "", "", "", "TOTAL(€)", "0,00"]]


# --- filter ----------------------------------------------------------------------------------------

def test_filter_rows():
    assert filter_rows(GUIDE_ROWS, "") == GUIDE_ROWS
    assert filter_rows(GUIDE_ROWS, "   ") == GUIDE_ROWS
    rayley = filter_rows(GUIDE_ROWS, "rayley")
    assert [r.day.day for r in rayley] == [20, 19, 17, 16]
    assert filter_rows(GUIDE_ROWS, "RAYLEY") == rayley
    assert filter_rows(GUIDE_ROWS, "20/12/2019") == GUIDE_ROWS[:3]
    assert filter_rows(GUIDE_ROWS, "17/12") == GUIDE_ROWS[6:9]
    assert filter_rows(GUIDE_ROWS, "repas scolaire") == GUIDE_ROWS
    assert filter_rows(GUIDE_ROWS, "Repas  Rayley") == rayley
    assert len(filter_rows(GUIDE_ROWS, "3,59")) == 4
    assert len(filter_rows(GUIDE_ROWS, "2.98")) == 8
    assert filter_rows(GUIDE_ROWS, "piscine") == []


def test_filter_ignores_accents_and_case():
    rows = [
        ConsumptionRow(date(2020, 1, 6), "Lefèvre", "Hélène", "ACCUEIL PÉRISCOLAIRE", 120, 3, 360),
        ConsumptionRow(date(2020, 1, 6), "Martin", "Zoé", "Étude surveillée", 150, 1, 150),
        ConsumptionRow(date(2020, 1, 6), "Grand", "Œdipe", "CANTINE", 150_000, 1, 150_000),
    ]
    assert filter_rows(rows, "helene") == rows[:1]
    assert filter_rows(rows, "LEFEVRE") == rows[:1]
    assert filter_rows(rows, "périscolaire") == rows[:1]
    assert filter_rows(rows, "zoe etude") == rows[1:2]
    assert filter_rows(rows, "ÉTUDE") == rows[1:2]
    assert filter_rows(rows, "oedipe") == rows[2:]
    assert filter_rows(rows, "Œdipe") == rows[2:]
    assert filter_rows(rows, "1 500,00") == rows[2:]
    assert filter_rows(rows, "1500") == rows[2:]


# --- PDF -------------------------------------------------------------------------------------------

def pdf_lines(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace(NBSP, " ")


def test_consumptions_pdf():
    data = consumptions_pdf(MONTH_ROWS, "Décembre 2019", "Famille Lefèvre-Dupré")
    text = pdf_lines(data)
    assert "Historique des Consommations" in text
    assert "Décembre 2019" in text
    assert "Famille Lefèvre-Dupré" in text
    for header in GUIDE_HEADER:
        assert header in text
    for name in ("Chanelya", "Nidison", "Rayley", "REPAS SCOLAIRE", "20/12/2019", "3,59", "2,98"):
        assert name in text
    assert "TOTAL(€) 78,77" in text
    assert data == consumptions_pdf(MONTH_ROWS, "Décembre 2019", "Famille Lefèvre-Dupré")  # reproducible


def test_consumptions_pdf_many_pages_and_no_rows():
    many = GUIDE_ROWS * 20
    reader = PdfReader(io.BytesIO(consumptions_pdf(many, "Décembre 2019", "Famille")))
    assert len(reader.pages) > 1
    assert "Prénom" in reader.pages[1].extract_text()  # header repeated
    assert "Page 2/" in reader.pages[1].extract_text()
    text = pdf_lines(consumptions_pdf([], "Décembre 2019", "Famille"))
    assert "Aucune consommation" in text and "TOTAL(€) 0,00" in text


INVOICE = InvoiceDoc(
    number="2020-000123", family_label="Famille Lefèvre-Dupré", structure="Mairie de CarteVille",
    period_label="Décembre 2019", issued_on=date(2020, 1, 6), due_on=date(2020, 1, 31),
    lines=[InvoiceLine(r.day, r.last_name, r.activity, r.unit_price_cents, r.quantity, r.total_cents)
           for r in MONTH_ROWS],
    total_cents=7877, paid_cents=2000,
)


def invoice(**changes):
    return dataclasses.replace(INVOICE, **changes)


def test_invoice_pdf():
    text = pdf_lines(invoice_pdf(invoice()))
    for expected in ("Facture n° 2020-000123", "Mairie de CarteVille", "Famille Lefèvre-Dupré",
                     "Période : Décembre 2019", "06/01/2020", "Chanelya", "Nidison", "Rayley",
                     "REPAS SCOLAIRE", "Total (€) 78,77", "Déjà réglé (€) 20,00", "Reste à payer (€) 58,77",
                     "Date limite de paiement : 31/01/2020", "Prix (€)", "Qté"):
        assert expected in text


def test_invoice_paid_and_overpaid():
    text = pdf_lines(invoice_pdf(invoice(paid_cents=7877)))
    assert "Reste à payer (€) 0,00" in text and "Facture acquittée" in text
    assert "Date limite" not in text
    text = pdf_lines(invoice_pdf(invoice(paid_cents=8000)))
    assert "Trop-perçu (€) 1,23" in text


def test_invoice_lines_must_add_up():
    with pytest.raises(ValueError, match="total"):
        invoice_pdf(invoice(total_cents=7800))


def test_invoice_big_amounts_and_foreign_letters():
    line = InvoiceLine(date(2020, 1, 6), "Łucja Nguyễn Œuvray", "SÉJOUR ÉTÉ « Mer »", 123_450, 1, 123_450)
    text = pdf_lines(invoice_pdf(invoice(lines=[line], total_cents=123_450, paid_cents=0)))
    assert "Lucja Nguyen Œuvray" in text
    assert "SÉJOUR ÉTÉ « Mer »" in text
    assert "Reste à payer (€) 1 234,50" in text


def test_pdf_text_keeps_french_and_replaces_the_rest():
    assert pdf_text("àâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊËÎÏÔÙÛÜŸŒÆ€«»’–—") == "àâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊËÎÏÔÙÛÜŸŒÆ€«»’–—"
    assert pdf_text(f"1{NNBSP}234,50") == f"1{NBSP}234,50"
    assert pdf_text("Şule Łódź 中") == "Sule Lódz ?"
