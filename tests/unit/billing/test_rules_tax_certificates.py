"""The « attestation de frais de garde » rules (services/billing/domain/tax_certificates.py): the year
asked for, under six on 1 January, and a payment allotted by the invoices it paid, to the cent. Fixed
dates only."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.errors import BadRequest
from services.billing.domain.tax_certificates import (
    Allocation,
    CertifiedChild,
    InvoiceGroup,
    allot,
    certificates,
    certified_until,
    checked_year,
    under_six,
)

FAMILY = uuid.UUID(int=1)
LEA, TOM = uuid.UUID(int=11), uuid.UUID(int=12)
CRECHE, CANTEEN = uuid.UUID(int=21), uuid.UUID(int=22)
INVOICE, OTHER_INVOICE = uuid.UUID(int=31), uuid.UUID(int=32)
NAMES = {CRECHE: "ALSH Mercredi", CANTEEN: "REPAS SCOLAIRE"}


def child(child_id: uuid.UUID, born: date, first: str = "Léa") -> CertifiedChild:
    return CertifiedChild(child_id, FAMILY, first, "DUPONT", born)


def test_six_on_the_first_of_january_is_too_old():
    assert under_six(date(2020, 1, 2), 2026)
    assert not under_six(date(2020, 1, 1), 2026)  # six on that very day
    assert not under_six(date(2015, 6, 1), 2026)
    assert under_six(date(2026, 3, 1), 2026)  # born during the year


def test_the_year_must_have_begun_and_defaults_to_last_year():
    today = date(2027, 2, 4)
    assert checked_year(None, today) == 2026
    assert checked_year("2027", today) == 2027
    for bad in ("2028", "1999", "26", "deux", "20 26"):
        with pytest.raises(BadRequest):
            checked_year(bad, today)
    assert certified_until(2026, today) == date(2026, 12, 31)
    assert certified_until(2027, today) == today


def test_a_payment_is_allotted_by_the_lines_of_the_invoice_it_paid():
    groups = [InvoiceGroup(INVOICE, LEA, CRECHE, 3000), InvoiceGroup(INVOICE, TOM, CRECHE, 1000),
              InvoiceGroup(INVOICE, LEA, CANTEEN, -500)]  # a credit counts as nothing
    assert allot(2000, groups) == {(LEA, CRECHE): 1500, (TOM, CRECHE): 500}
    assert allot(1000, [InvoiceGroup(INVOICE, LEA, CANTEEN, -500)]) == {}


@given(st.integers(1, 10**7), st.lists(st.integers(-5000, 50_000), min_size=1, max_size=8))
def test_the_shares_add_up_to_the_allocation_to_the_cent(amount, totals):
    groups = [InvoiceGroup(INVOICE, uuid.UUID(int=100 + i), CRECHE, t) for i, t in enumerate(totals)]
    whole = sum(t for t in totals if t > 0)
    shares = allot(amount, groups)
    assert sum(shares.values()) == (min(amount, whole) if whole > 0 else 0)
    assert all(v >= 0 for v in shares.values())


def test_certificates_count_eligible_activities_of_children_under_six_only():
    lea, tom = child(LEA, date(2021, 5, 3)), child(TOM, date(2019, 8, 1), "Tom")  # Tom is six on 1/1/2026
    groups = [InvoiceGroup(INVOICE, LEA, CRECHE, 2000), InvoiceGroup(INVOICE, LEA, CANTEEN, 1000),
              InvoiceGroup(INVOICE, TOM, CRECHE, 1000), InvoiceGroup(OTHER_INVOICE, LEA, CRECHE, 999)]
    found = certificates(2026, [lea, tom], [Allocation(FAMILY, INVOICE, 4000)], groups, {CRECHE}, NAMES)
    [only] = found
    assert only.child == lea and only.lines == ((CRECHE, "ALSH Mercredi", 2000),)
    assert only.total_cents == 2000  # the canteen (not eligible) and the unpaid invoice are not on it
    assert certificates(2026, [tom], [Allocation(FAMILY, INVOICE, 4000)], groups, {CRECHE}, NAMES) == []
