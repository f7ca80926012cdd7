"""billing's reactions: transmitted bookings become consumption lines priced with the tariff of the
day, the family's quotient and the child's rank; projections of children and quotients."""

from __future__ import annotations

import uuid

import asyncpg

from contracts import BookingTransmittedV1, Envelope
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.billing import BillingConsumptionRecordedV1
from contracts.dossier import DossierFamilyUpdatedV1
from contracts.pricing import Tariff, child_ranks, price
from kit import outbox, projection
from kit.logging import get_logger

log = get_logger(__name__)


async def on_family_changed(conn: asyncpg.Connection, envelope: Envelope[AuthFamilyChangedV1]) -> None:
    e = envelope.payload
    # the freshness rule of every projection (kit/projection.py): an older state of the family is skipped
    version = projection.version_of(envelope, e.updated_at)
    if not await projection.claim(conn, "families", e.family_id, version,
                                  e.structure_ids[0] if e.structure_ids else None):
        return
    for c in e.children:  # billing's children have no structure: the consistency check counts them per structure
        await projection.claim(conn, "children", c.child_id, version, c.structure_id)
    first = next((g for g in e.guardians if g.rank == 1), None)
    label = f"{first.last_name.upper()} {first.first_name}" if first else e.identifiant
    await conn.execute(
        """INSERT INTO families (id, identifiant, label) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET identifiant = $2, label = $3""", e.family_id, e.identifiant, label)
    await conn.executemany(
        """INSERT INTO children (id, family_id, first_name, last_name, birth_date) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET family_id = $2, first_name = $3, last_name = $4, birth_date = $5""",
        [(c.child_id, e.family_id, c.first_name, c.last_name, c.birth_date) for c in e.children])
    # the structures it belongs to (read by services/billing/access.py): the latest state wins
    await conn.execute("DELETE FROM family_structures WHERE family_id = $1", e.family_id)
    await conn.executemany("INSERT INTO family_structures (family_id, structure_id) VALUES ($1, $2)",
                           [(e.family_id, s) for s in dict.fromkeys(e.structure_ids)])


async def on_structure_changed(conn: asyncpg.Connection, envelope: Envelope[AuthStructureChangedV1]) -> None:
    e = envelope.payload
    await projection.upsert(conn, "structures", {"id": e.structure_id, "name": e.name}, conflict=["id"],
                            kind="structures", key=e.structure_id, version=e.updated_at, structure_id=e.structure_id)


async def on_family_updated(conn: asyncpg.Connection, envelope: Envelope[DossierFamilyUpdatedV1]) -> None:
    e = envelope.payload
    await projection.upsert(
        conn, "quotients", {"family_id": e.family_id, "family_quotient": e.family_quotient, "updated_at": e.updated_at},
        conflict=["family_id"], kind="quotients", key=e.family_id, version=e.updated_at)


async def tariff_versions(conn: asyncpg.Connection, structure_id: uuid.UUID, activity_id: uuid.UUID) -> list[Tariff]:
    """The activity's tariff versions published by the structure the line belongs to (never another's)."""
    rows = await conn.fetch("SELECT body::text AS body FROM tariffs WHERE structure_id = $1 AND activity_id = $2 "
                            "ORDER BY effective_from", structure_id, activity_id)
    return [Tariff.model_validate_json(r["body"]) for r in rows]


async def on_booking_transmitted(conn: asyncpg.Connection, envelope: Envelope[BookingTransmittedV1]) -> None:
    """Accepted → a consumption line; cancelled → the line removed, or credited if already invoiced;
    waiting list, refusal → nothing to pay."""
    event = envelope.payload
    # what billing received, line by line (audit of its input)
    await conn.executemany(
        """INSERT INTO booking_movements (event_id, booking_id, transmission_id, family_id, structure_id,
               child_id, activity_id, activity_name, day, kind, outcome)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING""",
        [(envelope.event_id, line.booking_id, event.transmission_id, event.family_id, event.structure_id,
          line.child_id, line.activity_id, line.activity_name, line.date, line.kind, line.outcome)
         for line in event.lines])
    quotient = await conn.fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1", event.family_id)
    siblings = await conn.fetch("SELECT id, birth_date FROM children WHERE family_id = $1", event.family_id)
    ranks = child_ranks([(r["id"], r["birth_date"]) for r in siblings])
    versions: dict[uuid.UUID, list[Tariff]] = {}
    for line in event.lines:
        if line.kind == "reserve" and line.outcome == "accepted":
            if line.activity_id not in versions:
                versions[line.activity_id] = await tariff_versions(conn, event.structure_id, line.activity_id)
            found = price(versions[line.activity_id], line.date, quotient, ranks.get(line.child_id, 1),
                          line.arrival, line.departure)
            if found is None:
                log.warning("no tariff for this day: recorded at 0 until staff set one",
                            activity_id=str(line.activity_id), day=line.date.isoformat())
            unit, quantity, total = found if found else (0, 1, 0)
            consumption_id = uuid.uuid4()
            inserted = await conn.fetchval(
                """INSERT INTO consumptions (id, family_id, structure_id, child_id, first_name, last_name, booking_id,
                       activity_id, activity_name, day, unit_price_cents, quantity, total_cents, source_event_id)
                   VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
                   ON CONFLICT (booking_id) WHERE credit_of IS NULL DO NOTHING RETURNING id""",
                consumption_id, event.family_id, event.structure_id, line.child_id, line.child_first_name,
                line.child_last_name, line.booking_id, line.activity_id, line.activity_name, line.date, unit,
                quantity, total, envelope.event_id)
            if inserted:
                await outbox.add(conn, BillingConsumptionRecordedV1(
                    consumption_id=consumption_id, family_id=event.family_id, structure_id=event.structure_id,
                    child_id=line.child_id, booking_id=line.booking_id, activity_id=line.activity_id,
                    activity_name=line.activity_name, date=line.date, unit_price_cents=unit, quantity=quantity,
                    total_cents=total), producer="billing")
        elif line.kind == "cancel":
            await cancel(conn, line.booking_id, envelope.event_id)


async def cancel(conn: asyncpg.Connection, booking_id: uuid.UUID, event_id: uuid.UUID) -> None:
    charge = await conn.fetchrow(
        "SELECT * FROM consumptions WHERE booking_id = $1 AND credit_of IS NULL FOR UPDATE", booking_id)
    if charge is None:
        return
    if charge["invoice_id"] is None:
        # not invoiced yet: the line goes away; other systems are told by a credit of the same amount
        await conn.execute("DELETE FROM consumptions WHERE id = $1", charge["id"])
        await outbox.add(conn, BillingConsumptionRecordedV1(
            consumption_id=uuid.uuid5(charge["id"], "cancelled"), family_id=charge["family_id"],
            structure_id=charge["structure_id"], child_id=charge["child_id"], booking_id=booking_id,
            activity_id=charge["activity_id"], activity_name=charge["activity_name"], date=charge["day"],
            unit_price_cents=charge["unit_price_cents"], quantity=-charge["quantity"],
            total_cents=-charge["total_cents"]), producer="billing")
        return
    credit_id = uuid.uuid4()
    inserted = await conn.fetchval(
        """INSERT INTO consumptions (id, family_id, structure_id, child_id, first_name, last_name, booking_id,
               activity_id, activity_name, day, unit_price_cents, quantity, total_cents, credit_of, source_event_id)
           SELECT $1, family_id, structure_id, child_id, first_name, last_name, booking_id, activity_id,
                  activity_name, day, unit_price_cents, -quantity, -total_cents, id, $3
           FROM consumptions WHERE id = $2
           ON CONFLICT (credit_of) WHERE credit_of IS NOT NULL DO NOTHING RETURNING id""",
        credit_id, charge["id"], event_id)
    if inserted:
        await outbox.add(conn, BillingConsumptionRecordedV1(
            consumption_id=credit_id, family_id=charge["family_id"], structure_id=charge["structure_id"],
            child_id=charge["child_id"], booking_id=booking_id, activity_id=charge["activity_id"],
            activity_name=charge["activity_name"], date=charge["day"], unit_price_cents=charge["unit_price_cents"],
            quantity=-charge["quantity"], total_cents=-charge["total_cents"]), producer="billing")
