"""Shared custody (garde alternée): the access policies of booking and dossier for a child of two households.
Either household acts for the child and reaches its shared sheets and their documents; a third family reaches
nothing, and a household never reaches the other's own family sheets."""

from __future__ import annotations

import uuid

import pytest

from contracts.errors import NotFound
from kit.identity import Identity
from services.booking import access as booking_access
from services.dossier import access as dossier_access
from services.dossier.store.records import Child

A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def parent(family_id: uuid.UUID) -> Identity:
    return Identity(subject=str(family_id), role="parent", family_id=family_id)


def test_booking_either_household_acts_for_the_child_and_no_one_else():
    households = (A, B)
    assert booking_access.owns_child(parent(A), households) and booking_access.owns_child(parent(B), households)
    assert not booking_access.owns_child(parent(C), households)
    assert booking_access.owns_child(parent(A), A) and not booking_access.owns_child(parent(B), A)
    assert not booking_access.owns_child(Identity(subject="x", role="staff"), households)


def test_dossier_a_shared_childs_sheet_is_both_households_a_family_sheet_only_its_own():
    lea = Child(uuid.uuid4(), A, "Léa", "MARTIN", None, (B,))
    assert lea.households == (A, B)
    for family in (A, B):
        dossier_access.require_own_sheet(parent(family), lea.households)
        dossier_access.require_document(parent(family), A, "brouillon", set(), lea.households)
        dossier_access.require_own_document(parent(family), set(lea.households))
    with pytest.raises(NotFound):
        dossier_access.require_own_sheet(parent(C), lea.households)
    with pytest.raises(NotFound):
        dossier_access.require_document(parent(C), A, "brouillon", set(), lea.households)
    with pytest.raises(NotFound):  # household A's own family sheet is never household B's
        dossier_access.require_own_sheet(parent(B), A)
