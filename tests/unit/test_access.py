"""The "who may see or change what" rules of booking, dossier and notify (services/<name>/access.py),
with plain identities: a family its own, staff the structures they work for, an administrator all."""

from __future__ import annotations

import uuid

import pytest

from contracts.errors import Forbidden, NotFound
from kit.identity import Identity
from services.booking import access as booking
from services.dossier import access as dossier
from services.notify import access as notify

HERE, THERE = uuid.uuid4(), uuid.uuid4()
FAMILY, OTHER_FAMILY = uuid.uuid4(), uuid.uuid4()

parent = Identity(subject="p", role="parent", family_id=FAMILY)
orphan = Identity(subject="o", role="parent")
staff = Identity(subject="s", role="staff", structures=(HERE,))
staff_elsewhere = Identity(subject="e", role="staff", structures=(THERE,))
admin = Identity(subject="a", role="admin")
anonymous = Identity.anonymous()


# -- booking -------------------------------------------------------------------------------------------------
def test_booking_a_family_acts_for_its_own_children_only():
    assert booking.owns_child(parent, FAMILY)
    assert not booking.owns_child(parent, OTHER_FAMILY)
    assert not booking.owns_child(parent, None)
    assert not booking.owns_child(orphan, FAMILY)
    assert not booking.owns_child(staff, FAMILY) and not booking.owns_child(admin, FAMILY)
    assert booking.require_family(parent) == FAMILY
    for who in (orphan, staff, admin, anonymous):
        with pytest.raises(Forbidden):
            booking.require_family(who)


def test_booking_staff_manage_their_structures_admin_all():
    assert booking.manages(staff, HERE) and not booking.manages(staff, THERE)
    assert booking.manages(admin, HERE) and booking.manages(admin, THERE)
    assert not booking.manages(parent, HERE) and not booking.manages(anonymous, HERE)
    assert not booking.manages(admin, None)
    booking.require_manages(staff, HERE)
    with pytest.raises(Forbidden) as refused:
        booking.require_manages(staff, THERE)
    assert refused.value.detail == "Vous ne gérez pas cette structure."
    with pytest.raises(Forbidden):
        booking.require_manages(parent, HERE)


def test_booking_enrolment_needs_a_family_of_the_activity_structure():
    assert booking.may_enrol(staff, HERE, {HERE})
    assert booking.may_enrol(staff, HERE, {THERE, HERE})
    assert not booking.may_enrol(staff, HERE, {THERE})          # a child of another structure's family
    assert not booking.may_enrol(staff, HERE, set())           # a child nobody knows
    assert not booking.may_enrol(staff_elsewhere, HERE, {HERE})  # not their activity
    assert booking.may_enrol(admin, THERE, {THERE}) and not booking.may_enrol(admin, THERE, {HERE})
    assert not booking.may_enrol(parent, HERE, {HERE})


def test_booking_decisions_and_admin_actions():
    booking.require_decision(staff, HERE)
    booking.require_decision(admin, THERE)
    with pytest.raises(NotFound):
        booking.require_decision(staff, THERE)
    with pytest.raises(Forbidden):
        booking.require_decision(parent, HERE)
    booking.require_admin(admin)
    with pytest.raises(Forbidden):
        booking.require_admin(staff)


# -- dossier -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["a_remplir", "brouillon", "transmise", "validee", "refusee"])
def test_dossier_a_family_reads_its_own_sheets_in_any_state(state):
    assert dossier.may_read_sheet(parent, FAMILY, state, {HERE})
    assert not dossier.may_read_sheet(parent, OTHER_FAMILY, state, {HERE})
    assert not dossier.may_read_sheet(orphan, FAMILY, state, {HERE})


@pytest.mark.parametrize("state", ["a_remplir", "brouillon"])
def test_dossier_nobody_but_the_family_reads_a_draft(state):
    for who in (staff, admin, staff_elsewhere):
        assert not dossier.may_read_sheet(who, FAMILY, state, {HERE})
        assert not dossier.may_review_sheet(who, FAMILY, state, {HERE})


@pytest.mark.parametrize("state", ["transmise", "validee", "refusee"])
def test_dossier_staff_read_transmitted_sheets_of_their_structures(state):
    assert dossier.may_read_sheet(staff, FAMILY, state, {HERE})
    assert dossier.may_read_sheet(staff, FAMILY, state, {THERE, HERE})  # a family with children in both
    assert not dossier.may_read_sheet(staff_elsewhere, FAMILY, state, {HERE})
    assert not dossier.may_read_sheet(staff, FAMILY, state, set())
    assert dossier.may_read_sheet(admin, FAMILY, state, {THERE})
    assert not dossier.may_read_sheet(anonymous, FAMILY, state, {HERE})
    assert dossier.may_review_sheet(staff, FAMILY, state, {HERE})
    assert not dossier.may_review_sheet(parent, FAMILY, state, {HERE})  # a family does not review itself


def test_dossier_health_reads_by_anyone_but_the_family_are_audited():
    assert dossier.audited(staff, True) and dossier.audited(admin, True)
    assert not dossier.audited(parent, True)
    assert not dossier.audited(staff, False)


def test_dossier_roles():
    assert dossier.require_family(parent) == FAMILY
    for who in (orphan, staff, admin, anonymous):
        with pytest.raises(Forbidden):
            dossier.require_family(who)
    dossier.require_staff(staff)
    dossier.require_staff(admin)
    with pytest.raises(Forbidden):
        dossier.require_staff(parent)
    dossier.require_admin(admin)
    with pytest.raises(Forbidden):
        dossier.require_admin(staff)
    for who in (parent, staff, admin):
        dossier.require_signed_in(who)
    with pytest.raises(Forbidden):
        dossier.require_signed_in(anonymous)
    dossier.require_own_document(parent, FAMILY)
    with pytest.raises(NotFound):
        dossier.require_own_document(parent, OTHER_FAMILY)


# -- notify --------------------------------------------------------------------------------------------------
def test_notify_staff_see_the_deliveries_of_their_structures_only():
    assert notify.may_see_delivery(staff, HERE)
    assert not notify.may_see_delivery(staff, THERE)
    assert not notify.may_see_delivery(staff, None)  # a mail about no structure: administrators only
    assert notify.may_see_delivery(admin, HERE) and notify.may_see_delivery(admin, None)
    assert not notify.may_see_delivery(parent, HERE) and not notify.may_see_delivery(anonymous, None)


def test_notify_delivery_scope():
    assert notify.delivery_scope(admin) == notify.DeliveryScope(everything=True)
    assert notify.delivery_scope(staff) == notify.DeliveryScope(everything=False, structures=frozenset({HERE}))
    for who in (parent, anonymous):
        with pytest.raises(Forbidden):
            notify.delivery_scope(who)
    notify.require_admin(admin)
    with pytest.raises(Forbidden):
        notify.require_admin(staff)
