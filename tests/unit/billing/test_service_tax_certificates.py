"""The tax certificates' transaction scripts (services/billing/service/tax_certificates.py) against an
in-memory store: staff of the structure only set and issue, the family sees its own once the year is
issued, another family or structure never; the amounts are the year's allotted payments. Fixed dates."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from datetime import date

import pytest

from kit.identity import Identity
from services.billing.domain.errors import BadRequest, Forbidden, Unknown
from services.billing.domain.tax_certificates import Allocation, CertifiedChild, InvoiceGroup
from services.billing.service import tax_certificates as tax
from tests.unit.billing.fake_tax_store import FakeTaxQueries

HERE, THERE = uuid.UUID(int=1), uuid.UUID(int=2)
FAMILY, OTHER = uuid.UUID(int=3), uuid.UUID(int=4)
LEA = uuid.UUID(int=11)
CRECHE, CANTEEN = uuid.UUID(int=21), uuid.UUID(int=22)
INVOICE = uuid.UUID(int=31)
TODAY = date(2027, 2, 4)


class FakeTaxStore(FakeTaxQueries):
    conn = None

    def __init__(self):
        self.tax.activities[HERE] = {CRECHE: "ALSH Mercredi", CANTEEN: "REPAS SCOLAIRE"}
        self.tax.children.append(CertifiedChild(LEA, FAMILY, "Léa", "DUPONT", date(2022, 4, 1)))
        self.tax.allocations[(HERE, 2026)] = [Allocation(FAMILY, INVOICE, 2500)]
        self.tax.groups += [InvoiceGroup(INVOICE, LEA, CRECHE, 2000), InvoiceGroup(INVOICE, LEA, CANTEEN, 500)]
        self.tax.labels[FAMILY] = "DUPONT Jean"

    @asynccontextmanager
    async def transaction(self):
        yield self

    reading = transaction

    async def structure_name(self, structure_id):
        return {HERE: "Mairie de CarteVille", THERE: "Mairie d'Ailleurs"}.get(structure_id, "")

    async def family_structures(self, family_id):
        return {HERE} if family_id == FAMILY else {THERE}


STAFF = Identity(subject="agent", role="staff", structures=(HERE,))
STAFF_THERE = Identity(subject="agent2", role="staff", structures=(THERE,))
PARENT = Identity(subject="p", role="parent", family_id=FAMILY)
OTHER_PARENT = Identity(subject="q", role="parent", family_id=OTHER)


@pytest.fixture
def store():
    return FakeTaxStore()


async def test_staff_choose_eligible_activities_then_issue_the_year_once(store):
    await tax.save_settings(store, STAFF, HERE, " 1 place de la Mairie\n SIRET 123 ", [CRECHE])
    settings = await tax.settings(store, STAFF, HERE)
    assert settings.details == "1 place de la Mairie\n SIRET 123"
    assert [(name, eligible) for _, name, eligible in settings.activities] == [
        ("ALSH Mercredi", True), ("REPAS SCOLAIRE", False)]
    found, now = await tax.issue(store, STAFF, HERE, 2026, TODAY)
    assert now and [c.total_cents for c in found.certificates] == [2000]  # 2 500 paid, 500 for the canteen
    _, again = await tax.issue(store, STAFF, HERE, 2026, TODAY)
    assert not again


async def test_staff_of_another_structure_and_parents_are_refused(store):
    for who in (STAFF_THERE, PARENT):
        with pytest.raises(Forbidden):
            await tax.save_settings(store, who, HERE, "", [])
        with pytest.raises(Forbidden):
            await tax.issue(store, who, HERE, 2026, TODAY)
    with pytest.raises(Unknown):  # an activity billing does not know in the structure: nothing saved
        await tax.save_settings(store, STAFF, HERE, "x", [uuid.uuid4()])
    assert store.tax.details == {}
    with pytest.raises(BadRequest):
        await tax.issue(store, STAFF, HERE, 2028, TODAY)


async def test_the_family_downloads_its_own_once_the_year_is_issued(store):
    store.tax.eligible[HERE] = {CRECHE, CANTEEN}
    with pytest.raises(Unknown):  # not issued yet: the family does not see it
        await tax.one(store, PARENT, HERE, "2026", LEA, TODAY)
    assert await tax.of_family(store, PARENT, TODAY) == []
    assert (await tax.one(store, STAFF, HERE, "2026", LEA, TODAY)).total_cents == 2500  # staff check before
    await tax.issue(store, STAFF, HERE, 2026, TODAY)
    [year] = await tax.of_family(store, PARENT, TODAY)
    assert (year.year, year.total_cents, year.until) == (2026, 2500, date(2026, 12, 31))
    assert (await tax.one(store, PARENT, HERE, "2026", LEA, TODAY)).total_cents == 2500
    for who in (OTHER_PARENT, STAFF_THERE):
        with pytest.raises(Unknown):
            await tax.one(store, who, HERE, "2026", LEA, TODAY)
    with pytest.raises(Unknown):  # a year the child has nothing paid
        await tax.one(store, STAFF, HERE, "2025", LEA, TODAY)
