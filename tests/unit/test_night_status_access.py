"""Who sees the night's status of a structure (issue 16): its staff and administrators, for the transmission
(booking) and the morning digest (notify); staff of another structure and families are refused. Running
them stays an administrator's action."""

from __future__ import annotations

import uuid

import pytest

from contracts.errors import Forbidden
from kit.identity import Identity
from services.booking import access as booking_access
from services.booking.service import status as booking_status
from services.notify import access as notify_access

HERE, THERE = uuid.uuid4(), uuid.uuid4()
STAFF = Identity(subject="s", role="staff", structures=(HERE,))
ELSEWHERE = Identity(subject="e", role="staff", structures=(THERE,))
ADMIN = Identity(subject="a", role="admin")
PARENT = Identity(subject="p", role="parent", family_id=uuid.uuid4())


def test_the_digest_status_is_for_the_structures_staff_and_administrators():
    assert notify_access.require_structure(STAFF, HERE) is STAFF
    assert notify_access.require_structure(ADMIN, HERE) is ADMIN
    for who in (ELSEWHERE, PARENT):
        with pytest.raises(Forbidden, match="Vous ne gérez pas cette structure"):
            notify_access.require_structure(who, HERE)
    with pytest.raises(Forbidden):
        notify_access.require_admin(STAFF)  # sending the digest now


class _Db:
    """Never reached: access is decided before anything is read."""

    def reading(self):
        raise AssertionError("read before the access check")


async def test_the_transmission_status_is_refused_to_another_structure_before_any_read():
    for who in (ELSEWHERE, PARENT):
        with pytest.raises(Forbidden):
            await booking_status.transmission_status(_Db(), who, HERE)
    with pytest.raises(Forbidden):
        booking_access.require_admin(STAFF)  # running the transmission now
