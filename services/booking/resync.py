"""booking as an owner of facts: what others keep from it is the transmitted state of each booking (billing
charges the accepted ones). The resync republishes that state as booking.booking_state (one event per
booking, versioned by its latest transmitted movement); the facts digest counts the bookings whose
latest transmitted movement is an accepted reservation, per structure (kit/consistency.py).

    python -m services.booking resync [--family ID | --structure ID | --all]

Nothing here re-sends a transmission: the morning digest mails are never sent twice."""

from __future__ import annotations

import uuid

import asyncpg

from contracts.booking import BookingStateV1
from contracts.consistency import BookingFactsDigestV1
from kit import consistency, outbox

OWNER = "booking"
PER_TRANSACTION = 500

# The latest transmitted movement of each booking, with what a consumer needs to know of the booking.
STATES = """
SELECT DISTINCT ON (m.booking_id) m.booking_id, m.kind, m.outcome, m.created_at, b.family_id, b.child_id,
       b.activity_id, b.day, coalesce(b.arrival, s.start_time) AS arrival,
       coalesce(b.departure, s.end_time) AS departure, a.name AS activity_name, a.structure_id
FROM movements m
JOIN bookings b ON b.id = m.booking_id
JOIN sessions s ON s.id = b.session_id
JOIN activities a ON a.id = b.activity_id
WHERE m.transmission_id IS NOT NULL {scope}
ORDER BY m.booking_id, m.id DESC"""
SCOPED = STATES.format(scope="AND ($1::uuid IS NULL OR b.family_id = $1) AND ($2::uuid IS NULL OR a.structure_id = $2)")

# A billed booking never changes once made (a cancellation is another fact): its version is not counted.
QUERIES = {
    "bookings": f"""SELECT st.structure_id, st.booking_id::text, NULL::timestamptz
                    FROM ({STATES.format(scope="")}) st
                    WHERE st.kind = 'reserve' AND st.outcome = 'accepted'""",
}
NAMES = "SELECT id, name FROM structures"


def status(row: asyncpg.Record) -> str:
    """What the latest transmitted movement left: billing cancels on any transmitted cancellation."""
    return "cancelled" if row["kind"] == "cancel" else row["outcome"]


async def resync(pool: asyncpg.Pool, family_id: uuid.UUID | None = None,
                 structure_id: uuid.UUID | None = None) -> dict[str, int]:
    rows = await pool.fetch(SCOPED, family_id, structure_id)
    payloads = [BookingStateV1(
        booking_id=r["booking_id"], family_id=r["family_id"], structure_id=r["structure_id"], child_id=r["child_id"],
        activity_id=r["activity_id"], activity_name=r["activity_name"], date=r["day"], arrival=r["arrival"],
        departure=r["departure"], status=status(r), updated_at=r["created_at"]) for r in rows]
    for start in range(0, len(payloads), PER_TRANSACTION):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add_many(conn, payloads[start:start + PER_TRANSACTION], producer=OWNER)
    return {"bookings": len(payloads)}


digest_on_request = consistency.digest_on_request(OWNER, BookingFactsDigestV1, QUERIES, NAMES)
