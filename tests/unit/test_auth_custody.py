"""Shared custody (garde alternée) in auth: the rule of a child's second household, and the transaction script
staff use to link it (by the family's identifiant), against a small fake store: both families are published
again; another structure's child or family is not reached; a third household is refused."""

from __future__ import annotations

import contextlib
import uuid

import pytest

from contracts.errors import Forbidden, NotFound
from kit.identity import Identity
from services.auth.domain.custody import households, link_refusal
from services.auth.service import Refused, custody
from services.auth.store.custody import ChildHome
from services.auth.store.families import FamilyRow

HERE, ELSEWHERE = uuid.uuid4(), uuid.uuid4()
STAFF = Identity(subject=str(uuid.uuid4()), role="staff", structures=(HERE,))


def test_households_are_told_first_family_first_and_only_when_shared():
    a, b = uuid.uuid4(), uuid.uuid4()
    assert households(a, None) == []
    assert households(a, b) == [a, b]


def test_a_second_household_is_another_family_and_there_are_two_at_most():
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert link_refusal(a, b, []) is None
    assert link_refusal(a, a, []) == "Cet enfant appartient déjà à ce foyer."
    assert link_refusal(a, b, [a, b]) is None  # the same link again changes nothing
    assert link_refusal(a, c, [a, b]) == "Cet enfant est déjà rattaché à deux foyers (garde alternée)."


class FakeStore:
    def __init__(self):
        self.families = {}
        self.homes = {}
        self.links = {}

    @contextlib.asynccontextmanager
    async def transaction(self):
        yield None

    def family(self, identifiant, structure=HERE):
        row = FamilyRow(uuid.uuid4(), identifiant, structure)
        self.families[identifiant] = row
        return row.id

    def child(self, family_id, structure=HERE):
        child_id = uuid.uuid4()
        self.homes[child_id] = (family_id, structure)
        return child_id

    async def child_home(self, _conn, child_id, *, lock=False):
        if child_id not in self.homes:
            return None
        family_id, structure = self.homes[child_id]
        return ChildHome(child_id, family_id, structure, self.links.get(child_id))

    async def family_by_identifiant(self, _conn, identifiant):
        return next((f for k, f in self.families.items() if k.lower() == identifiant.lower()), None)

    async def link_household(self, _conn, child_id, family_id, linked_by):
        if child_id in self.links:
            return False
        self.links[child_id] = family_id
        return True


@pytest.fixture
def published(monkeypatch):
    sent = []

    async def family_changed(_conn, _store, _producer, family_id, *, snapshot=False):
        sent.append(family_id)

    monkeypatch.setattr(custody.publish, "family_changed", family_changed)
    return sent


async def test_staff_link_a_second_household_by_its_identifiant(published):
    store = FakeStore()
    a, b, c = store.family("MARTIN-1"), store.family("DURAND-2"), store.family("PETIT-3")
    lea = store.child(a)
    answer = await custody.link_second_household(store, None, STAFF, a, lea, " durand-2 ")
    assert answer == {"child_id": str(lea), "households": [str(a), str(b)]}
    assert published == [a, b]  # both families' whole state goes out again
    # the same link again: nothing published twice; a third household: refused
    await custody.link_second_household(store, None, STAFF, a, lea, "DURAND-2")
    assert published == [a, b]
    with pytest.raises(Refused) as refused:
        await custody.link_second_household(store, None, STAFF, a, lea, "PETIT-3")
    assert refused.value.status == 409 and store.links[lea] == b and c not in published


async def test_another_structures_child_or_family_is_not_reached(published):
    store = FakeStore()
    a, far = store.family("MARTIN-1"), store.family("LOIN-9", structure=ELSEWHERE)
    lea, remote = store.child(a), store.child(far, structure=ELSEWHERE)
    with pytest.raises(Refused) as refused:
        await custody.link_second_household(store, None, STAFF, a, lea, "LOIN-9")
    assert refused.value.status == 422 and "Aucune famille « LOIN-9 » dans vos structures." in str(refused.value)
    with pytest.raises(NotFound):
        await custody.link_second_household(store, None, STAFF, far, remote, "MARTIN-1")
    with pytest.raises(NotFound):  # the child is named under a family it does not belong to
        await custody.link_second_household(store, None, STAFF, far, lea, "MARTIN-1")
    parent = Identity(subject=str(a), role="parent", family_id=a)
    with pytest.raises(Forbidden):  # a family never links anything
        await custody.link_second_household(store, None, parent, a, lea, "LOIN-9")
    assert published == [] and store.links == {}
