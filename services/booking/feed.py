"""A family's private, revocable iCal feed of its children's accepted bookings."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PARIS = ZoneInfo("Europe/Paris")


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def rotate(conn, family_id: uuid.UUID) -> str:
    """A new secret URL; the previous one stops working."""
    token = secrets.token_urlsafe(32)
    await conn.execute(
        """INSERT INTO feed_tokens (family_id, token_hash) VALUES ($1, $2)
           ON CONFLICT (family_id) DO UPDATE SET token_hash = $2, created_at = now()""", family_id, token_hash(token))
    return token


async def revoke(conn, family_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM feed_tokens WHERE family_id = $1", family_id)


async def render(conn, token: str) -> bytes | None:
    family_id = await conn.fetchval("SELECT family_id FROM feed_tokens WHERE token_hash = $1", token_hash(token))
    if family_id is None:
        return None
    rows = await conn.fetch(
        """SELECT b.id, b.day, coalesce(b.arrival, s.start_time) AS arrival,
                  coalesce(b.departure, s.end_time) AS departure, a.name, c.first_name, st.name AS structure
           FROM bookings b JOIN sessions s ON s.id = b.session_id JOIN activities a ON a.id = b.activity_id
           JOIN children c ON c.id = b.child_id LEFT JOIN structures st ON st.id = a.structure_id
           WHERE b.family_id = $1 AND b.status = 'accepted' AND b.day >= current_date - 31
           ORDER BY b.day, arrival""", family_id)
    calendar = Calendar()
    calendar.add("prodid", "-//Portail Famille//Réservations//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Réservations Portail Famille")
    stamp = datetime.now(UTC)
    for r in rows:
        event = Event()
        event.add("uid", f"{r['id']}@portail-famille")
        event.add("dtstamp", stamp)
        event.add("summary", f"{r['first_name']} — {r['name']}")
        event.add("dtstart", datetime.combine(r["day"], r["arrival"], tzinfo=PARIS))
        event.add("dtend", datetime.combine(r["day"], r["departure"], tzinfo=PARIS))
        if r["structure"]:
            event.add("location", r["structure"])
        calendar.add_component(event)
    return calendar.to_ical()
