"""Justified absences (issue 19): booking's booking.absence_justified says which booked days of an accepted
absence stay charged (the structure's waiting period, decided by booking's rule) and which do not; a day not
charged loses its charge as a cancellation would (removed if not invoiced, else credited once), now or when
its charge arrives later with the night's transmission."""

from __future__ import annotations

import uuid

from contracts.absences import BookingAbsenceJustifiedV1
from services.billing.service import consumptions
from services.billing.store import Tx


async def record_justified(tx: Tx, outbox, event: BookingAbsenceJustifiedV1, event_id: uuid.UUID) -> None:
    await tx.record_justified(event.absence_id, event.family_id, event.structure_id, event.child_id,
                              event.child_first_name, event.child_last_name,
                              [(d.booking_id, d.activity_name, d.date, d.charged) for d in event.days],
                              event.justified_at)
    await consumptions.settle_justified(tx, outbox, [d.booking_id for d in event.days if not d.charged], event_id)
