"""Suivi des réservations: the family's requests with their state, filters and the accepted total."""

from __future__ import annotations

import uuid
from datetime import date

from services.booking.basket import euros, short_day
from services.booking.pricing import pricer_for

TYPES = ("pending", "waitlisted", "refused", "accepted", "transmitted", "not_transmitted")


def state_label(status: str, transmitted: bool, position: int | None) -> str:
    label = {"accepted": "Acceptée", "refused": "Refusée", "pending": "En attente réponse",
             "cancelled": "Annulée"}.get(status)
    if status == "waitlisted":
        label = f"En liste d'attente (position {position})" if position else "En liste d'attente"
    if not transmitted and status != "pending":
        label += ", non transmise"
    return label


def visible(status: str, transmitted: bool, types: set[str]) -> bool:
    """The guide's type boxes: a line shows when its kind and its transmission state are both ticked."""
    if status == "cancelled":
        return not transmitted and "not_transmitted" in types  # a cancellation shows until it is transmitted
    kind_ok = status in types
    sent_ok = ("transmitted" if transmitted else "not_transmitted") in types
    return kind_ok and (sent_ok or status == "pending")


FOLLOW_SQL = """
SELECT b.id, b.day, b.status, b.transmitted, b.child_id, c.first_name, c.last_name, a.id AS activity_id,
       a.name AS activity, coalesce(b.arrival, s.start_time) AS arrival, coalesce(b.departure, s.end_time) AS departure,
       CASE WHEN b.status = 'waitlisted' THEN
           (SELECT count(*) FROM bookings w WHERE w.session_id = b.session_id AND w.status = 'waitlisted'
              AND w.request_seq <= b.request_seq) END AS position
FROM bookings b JOIN sessions s ON s.id = b.session_id JOIN activities a ON a.id = b.activity_id
JOIN children c ON c.id = b.child_id
WHERE b.family_id = $1 AND ($2::uuid IS NULL OR b.child_id = $2) AND ($3::uuid IS NULL OR b.activity_id = $3)
  AND ($4::date IS NULL OR b.day >= $4) AND ($5::date IS NULL OR b.day <= $5)
ORDER BY b.day, a.name, c.first_name
"""


async def follow_up(conn, family_id: uuid.UUID, child_id: uuid.UUID | None, activity_id: uuid.UUID | None,
                    start: date | None, end: date | None, types: set[str]) -> dict:
    rows = await conn.fetch(FOLLOW_SQL, family_id, child_id, activity_id, start, end)
    pricer = await pricer_for(conn, family_id)
    lines, total = [], 0
    for r in rows:
        if not visible(r["status"], r["transmitted"], types):
            continue
        cost = pricer.cents(r["activity_id"], r["child_id"], r["day"], r["arrival"], r["departure"])
        if r["status"] == "accepted" and cost is not None:
            total += cost
        lines.append({
            "booking_id": str(r["id"]), "date": r["day"].isoformat(), "day": short_day(r["day"]),
            "activity_id": str(r["activity_id"]), "activity": r["activity"], "child_id": str(r["child_id"]),
            "person": r["first_name"], "arrival": r["arrival"].strftime("%H:%M"),
            "departure": r["departure"].strftime("%H:%M"), "cost": euros(cost).replace(" €", ""),
            "status": r["status"], "transmitted": r["transmitted"], "waitlist_position": r["position"],
            "state": state_label(r["status"], r["transmitted"], r["position"]),
        })
    return {"lines": lines, "total_accepted_cents": total, "total_accepted": euros(total).replace(" €", "")}
