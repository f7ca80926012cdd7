"""An activity's tariff in force and its history (services/billing/service/tariffs.py history): newest
first, the version in force on the given day by contracts/pricing.current_tariff; read only by staff of
the structure (or an administrator). Fixed dates only."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.pricing import Bracket, Tariff
from kit.identity import Identity
from services.billing.domain.errors import Forbidden
from services.billing.service import tariffs
from tests.unit.billing.fake_store import FakeStore

HERE, THERE = uuid.UUID(int=1), uuid.UUID(int=2)
ACTIVITY = uuid.UUID(int=10)
DAY = date(2026, 9, 15)


def version(effective: date, price: int) -> Tariff:
    return Tariff(tariff_id=uuid.uuid4(), activity_id=ACTIVITY, effective_from=effective,
                  brackets=[Bracket(price_cents=price)])


@pytest.fixture
def store() -> FakeStore:
    s = FakeStore()
    s.tariffs[(HERE, ACTIVITY)] = [version(date(2026, 1, 1), 300), version(date(2025, 9, 1), 250),
                                   version(date(2027, 1, 1), 320)]
    s.tariffs[(THERE, ACTIVITY)] = [version(date(2026, 9, 1), 999)]  # another structure's: never shown here
    return s


async def test_the_history_is_newest_first_with_the_version_in_force_on_the_day(store):
    staff = Identity(subject="s", role="staff", structures=(HERE,))
    versions, in_force = await tariffs.history(store, staff, HERE, ACTIVITY, DAY)
    assert [v.effective_from for v in versions] == [date(2027, 1, 1), date(2026, 1, 1), date(2025, 9, 1)]
    assert in_force.effective_from == date(2026, 1, 1)
    _, before_all = await tariffs.history(store, staff, HERE, ACTIVITY, date(2025, 1, 1))
    assert before_all is None


async def test_only_staff_of_the_structure_or_an_administrator_read_it(store):
    for who in (Identity(subject="e", role="staff", structures=(THERE,)),
                Identity(subject="p", role="parent", family_id=uuid.UUID(int=5))):
        with pytest.raises(Forbidden):
            await tariffs.history(store, who, HERE, ACTIVITY, DAY)
    versions, _ = await tariffs.history(store, Identity(subject="a", role="admin"), HERE, ACTIVITY, DAY)
    assert len(versions) == 3
