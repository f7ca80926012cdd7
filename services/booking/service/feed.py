"""A family's private, revocable iCal feed of its children's accepted bookings: the secret link (only its
hash is kept) and the calendar it reads."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from kit.clock import PARIS, paris_today, utc_now
from kit.identity import Identity
from services.booking import access

HISTORY_DAYS = 31  # the feed still lists last month's bookings


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def rotate(db, who: Identity) -> str:
    """A new secret URL; the previous one stops working."""
    family_id = access.require_family(who)
    token = secrets.token_urlsafe(32)
    async with db.transaction() as store:
        await store.save_feed_token(family_id, token_hash(token))
    return token


async def revoke(db, who: Identity) -> None:
    family_id = access.require_family(who)
    async with db.transaction() as store:
        await store.delete_feed_token(family_id)


async def render(db, token: str, now: datetime | None = None) -> bytes | None:
    """The feed of the family whose secret link this is (the link is the credential); None if none is."""
    now = now or utc_now()
    async with db.reading() as store:
        family_id = await store.family_of_feed(token_hash(token))
        if family_id is None:
            return None
        bookings = await store.feed_bookings(family_id, paris_today(now) - timedelta(days=HISTORY_DAYS))
    calendar = Calendar()
    calendar.add("prodid", "-//Portail Famille//Réservations//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Réservations Portail Famille")
    for b in bookings:
        event = Event()
        event.add("uid", f"{b.id}@portail-famille")
        event.add("dtstamp", now)
        event.add("summary", f"{b.first_name} — {b.activity}")
        event.add("dtstart", datetime.combine(b.day, b.arrival, tzinfo=PARIS))
        event.add("dtend", datetime.combine(b.day, b.departure, tzinfo=PARIS))
        if b.structure:
            event.add("location", b.structure)
        calendar.add_component(event)
    return calendar.to_ical()


