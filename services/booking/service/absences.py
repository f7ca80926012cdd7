"""Declared absences as transaction scripts: a family declares its child absent (illness) on booked days with a
medical certificate (kept by dossier; only its identifier here), even past the cancellation deadline; staff of
the structure accept or refuse it (with a reason); accepted, its days are « absence justifiée » per the
structure's waiting period, and the event tells billing (not charged, or credited) and notify (the digest)."""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.absences import AbsentDay, BookingAbsenceJustifiedV1, BookingAbsenceJustifiedV2
from contracts.api.absences import AbsenceDecisionIn, AbsenceIn
from contracts.errors import NotFound
from kit.identity import Identity
from services.booking import access
from services.booking.domain import absences as rules
from services.booking.service import OUTBOX
from services.booking.store.absences import Absence


async def declare(db, who: Identity, body: AbsenceIn, now: datetime) -> tuple[uuid.UUID, int]:
    """The family's declaration over its child's booked days of the range; its id and how many days."""
    rules.check_range(body.start, body.end)
    async with db.transaction() as store:
        family_id = await access.require_own_children(store, who, [body.child_id], lock=True)
        child = (await store.children_by_id([body.child_id]))[body.child_id]
        booked = await store.booked_days(body.child_id, body.start, body.end)
        rules.require_some_days(booked)
        absence = Absence(uuid.uuid4(), family_id, body.child_id, child.structure_id, body.start, body.end,
                          body.certificate_id, "pending", None, now)
        await store.insert_absence(absence, [b.booking_id for b in booked])
    return absence.id, len(booked)


async def family_absences(db, who: Identity) -> list[Absence]:
    family_id = access.require_family(who)
    async with db.reading() as store:
        return await store.absences_of_family(family_id)


async def structure_absences(db, who: Identity, structure_id: uuid.UUID, status: str | None) -> list[Absence]:
    access.require_manages(who, structure_id)
    async with db.reading() as store:
        return await store.absences_of_structure(structure_id, status)


async def absence(db, who: Identity, absence_id: uuid.UUID) -> Absence:
    """One absence, for its family or the staff of its structure (its certificate is read from dossier)."""
    async with db.reading() as store:
        found = await store.absence(absence_id)
    if found is None:
        raise NotFound(access.ABSENCE_NOT_FOUND)
    access.require_absence_reader(who, found.family_id, found.structure_id)
    return found


async def answer(db, who: Identity, absence_id: uuid.UUID, body: AbsenceDecisionIn, now: datetime,
                 outbox=OUTBOX) -> str:
    """Staff accept or refuse; accepted, the days not in the waiting period are no longer charged."""
    async with db.transaction() as store:
        found = await store.absence_for_update(absence_id)
        if found is None:
            raise NotFound(access.ABSENCE_NOT_FOUND)
        access.require_absence_answerer(who, found.structure_id)
        rules.require_pending(found.status)
        reason = (body.reason or "").strip() or None
        status = rules.answer_status(body.decision, reason)
        days = await store.absence_booked_days(absence_id)
        waiting = await store.waiting_days(found.structure_id) if status == "accepted" else None
        charged = (rules.charged_bookings([(d.booking_id, d.day) for d in days], waiting)
                   if waiting is not None else {d.booking_id: True for d in days})
        await store.answer_absence(absence_id, status, reason, waiting, charged, now)
        if status == "accepted" and days:
            event = BookingAbsenceJustifiedV1(
                absence_id=absence_id, family_id=found.family_id, structure_id=found.structure_id,
                structure_name=found.structure_name, child_id=found.child_id, child_first_name=found.first_name,
                child_last_name=found.last_name, start=found.start, end=found.end, waiting_days=waiting,
                justified_at=now, days=[AbsentDay(booking_id=d.booking_id, activity_id=d.activity_id,
                                                  activity_name=d.activity_name, date=d.day,
                                                  charged=charged[d.booking_id]) for d in days])
            await outbox.add_many(store.conn, [event, BookingAbsenceJustifiedV2.of(event)])
    return status


async def waiting_days(db, who: Identity, structure_id: uuid.UUID) -> int:
    access.require_manages(who, structure_id)
    async with db.reading() as store:
        return await store.waiting_days(structure_id)


async def set_waiting_days(db, who: Identity, structure_id: uuid.UUID, days: int) -> None:
    """The structure's rule: how many first booked days of an accepted absence stay charged."""
    access.require_manages(who, structure_id)
    rules.check_waiting_days(days)
    async with db.transaction() as store:
        await store.set_waiting_days(structure_id, days)
