"""The transmission's status for a structure's staff: read-only (running it stays an administrator's
action, service/transmission.py)."""

from __future__ import annotations

import uuid

from kit.identity import Identity
from services.booking import access
from services.booking.store.status import TransmissionStatus


async def transmission_status(db, who: Identity, structure_id: uuid.UUID) -> TransmissionStatus:
    """The latest run, and the structure's movements sent by it or waiting (staff of the structure, admin)."""
    access.require_manages(who, structure_id)
    async with db.reading() as store:
        return await store.transmission_status(structure_id)
