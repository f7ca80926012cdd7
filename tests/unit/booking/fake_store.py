"""An in-memory stand-in for booking's store (services/booking/store): the same named functions over plain
dicts, so the service layer runs without PostgreSQL. Also the outbox it writes to, and a little world to
fill it (a structure, families, activities, sessions) with fixed dates: nothing depends on today."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from contracts.pricing import Price, Tariff
from services.booking.domain.deadlines import DeadlineRule
from services.booking.domain.places import Place
from services.booking.domain.sessions import Activity, SessionRow
from services.booking.domain.transmission import WAITING_FOR_ANSWER, Movement
from services.booking.store import Child
from services.booking.store.baskets import NewBooking, Promoted, Recorded
from services.booking.store.bookings import Request, Waitlisted
from services.booking.store.sessions import ActivityBrief, FamilyRead, MonthRead
from services.booking.store.transmission import FamiliesPriceFacts

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)  # a Tuesday morning of the rentrée
STRUCTURE = uuid.UUID(int=1)
OTHER_STRUCTURE = uuid.UUID(int=2)
TWO_WORKING_DAYS = DeadlineRule(2, True, time(10, 0))


@dataclass
class Session:
    id: uuid.UUID
    activity_id: uuid.UUID
    day: date
    capacity: int | None
    taken: int = 0


@dataclass
class Booking:
    id: uuid.UUID
    session_id: uuid.UUID
    activity_id: uuid.UUID
    child_id: uuid.UUID
    family_id: uuid.UUID
    day: date
    arrival: time | None
    departure: time | None
    status: str
    reason: str | None
    request_seq: int
    transmitted: bool = False
    charged: Price | None = None


@dataclass
class MovementRow:
    id: int
    booking_id: uuid.UUID
    family_id: uuid.UUID
    kind: str
    outcome: str
    transmission_id: uuid.UUID | None = None


@dataclass
class FakeStore:
    children: dict[uuid.UUID, Child] = field(default_factory=dict)
    activities: dict[uuid.UUID, Activity] = field(default_factory=dict)
    sessions: dict[uuid.UUID, Session] = field(default_factory=dict)
    bookings: dict[uuid.UUID, Booking] = field(default_factory=dict)
    movements: list[MovementRow] = field(default_factory=list)
    incompatible: set[frozenset[uuid.UUID]] = field(default_factory=set)
    transmissions: list[tuple[uuid.UUID, int, int]] = field(default_factory=list)
    structure_names: dict[uuid.UUID, str] = field(default_factory=dict)
    tariffs: dict[uuid.UUID, list[Tariff]] = field(default_factory=dict)  # billing's, by activity
    quotients: dict[uuid.UUID, int] = field(default_factory=dict)  # dossier's, by family
    conn: None = None
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    # -- the Database side: every script gets this same store ---------------------------------------------
    @asynccontextmanager
    async def reading(self):
        yield self

    @asynccontextmanager
    async def transaction(self):
        yield self

    @asynccontextmanager
    async def single(self):
        yield self

    # -- filling the world -------------------------------------------------------------------------------------
    def family(self, *names: str, structure: uuid.UUID = STRUCTURE) -> tuple[uuid.UUID, list[uuid.UUID]]:
        family_id = uuid.uuid4()
        kids = []
        for i, name in enumerate(names):
            child = Child(uuid.uuid4(), family_id, name, "MARTIN", date(2016 + i, 1, 1), structure)
            self.children[child.id] = child
            kids.append(child.id)
        return family_id, kids

    def activity(self, name: str, start: time = time(11, 30), end: time = time(13, 30), *,
                 waitlist: bool = True, approval: bool = False, kind: str = "fixed",
                 structure: uuid.UUID = STRUCTURE) -> uuid.UUID:
        activity = Activity(uuid.uuid4(), structure, name, kind, start, end, waitlist, approval,
                            TWO_WORKING_DAYS, TWO_WORKING_DAYS)
        self.activities[activity.id] = activity
        return activity.id

    def open(self, activity_id: uuid.UUID, *days: date, capacity: int | None = None) -> None:
        for day in days:
            session = Session(uuid.uuid4(), activity_id, day, capacity)
            self.sessions[session.id] = session

    def session_of(self, activity_id: uuid.UUID, day: date) -> Session:
        return next(s for s in self.sessions.values() if s.activity_id == activity_id and s.day == day)

    def booking_of(self, child_id: uuid.UUID, activity_id: uuid.UUID, day: date) -> Booking | None:
        return next((b for b in self.bookings.values() if b.child_id == child_id and b.activity_id == activity_id
                     and b.day == day and b.status != "cancelled"), None)

    # -- children ------------------------------------------------------------------------------------------------
    async def children_of_family(self, family_id: uuid.UUID) -> list[Child]:
        return sorted((c for c in self.children.values() if family_id in c.households),
                      key=lambda c: (c.birth_date, c.first_name))

    async def children_by_id(self, child_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Child]:
        return {c: self.children[c] for c in child_ids if c in self.children}

    async def lock_children(self, child_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Child]:
        return await self.children_by_id(child_ids)

    # -- sessions --------------------------------------------------------------------------------------------------
    async def sessions_for_child(self, child_id: uuid.UUID, start: date, end: date,
                                 activity_id: uuid.UUID | None = None,
                                 family_id: uuid.UUID | None = None) -> list[SessionRow]:
        child = self.children[child_id]
        rows = []
        for s in self.sessions.values():
            a = self.activities[s.activity_id]
            if a.structure_id != child.structure_id or not start <= s.day <= end:
                continue
            if activity_id is not None and a.id != activity_id:
                continue
            b = self.booking_of(child_id, a.id, s.day)
            rows.append(SessionRow(s.id, a, s.day, a.start, a.end, s.capacity, s.taken, True,
                                   b.id if b else None, b.status if b else None, b.arrival if b else None,
                                   b.departure if b else None,
                                   b is not None and family_id is not None and b.family_id != family_id))
        return sorted(rows, key=lambda r: (r.day, r.start, r.activity.name))

    async def basket_sessions(self, child_ids: Collection[uuid.UUID], start: date, end: date,
                              family_id: uuid.UUID | None = None
                              ) -> tuple[dict[uuid.UUID, list[SessionRow]], int | None]:
        return {c: await self.sessions_for_child(c, start, end, None, family_id) for c in child_ids}, None

    async def month_of_child(self, family_id: uuid.UUID, child_id: uuid.UUID, start: date, end: date,
                             activity_id: uuid.UUID | None = None) -> MonthRead:
        kids = await self.children_of_family(family_id)
        own = any(c.id == child_id for c in kids)
        return MonthRead([(c.id, c.birth_date, c.structure_id) for c in kids], self.quotients.get(family_id), None,
                         await self.sessions_for_child(child_id, start, end, activity_id, family_id) if own else [])

    async def tariff_versions(self, structure_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[Tariff]]:
        return dict(self.tariffs)

    async def activities_of_structures(self, structure_ids: Collection[uuid.UUID]) -> list[ActivityBrief]:
        return [ActivityBrief(a.id, a.structure_id, a.name, a.kind, a.start, a.end)
                for a in sorted(self.activities.values(), key=lambda a: (a.start, a.name))
                if a.structure_id in structure_ids]

    async def activity_brief(self, activity_id: uuid.UUID) -> ActivityBrief | None:
        a = self.activities.get(activity_id)
        return a and ActivityBrief(a.id, a.structure_id, a.name, a.kind, a.start, a.end)

    async def declared_incompatibilities(self, activity_ids: Collection[uuid.UUID]) -> set[frozenset[uuid.UUID]]:
        return {pair for pair in self.incompatible if pair & set(activity_ids)}

    async def family_facts(self, family_id: uuid.UUID) -> FamilyRead:
        return FamilyRead(await self.children_of_family(family_id), self.quotients.get(family_id), None)

    async def activity_structure(self, activity_id: uuid.UUID) -> uuid.UUID | None:
        a = self.activities.get(activity_id)
        return a.structure_id if a else None

    async def session_structure(self, session_id: uuid.UUID) -> uuid.UUID | None:
        s = self.sessions.get(session_id)
        return self.activities[s.activity_id].structure_id if s else None

    # -- places, bookings, movements ------------------------------------------------------------------------
    async def lock_limited_sessions(self, activity_ids: Sequence[uuid.UUID], days: Sequence[date]) -> None:
        pass

    async def take_place(self, session_id: uuid.UUID) -> bool:
        s = self.sessions[session_id]
        if s.capacity is None:
            return True
        if s.taken < s.capacity:
            s.taken += 1
            return True
        return False

    async def release_place(self, session_id: uuid.UUID) -> None:
        self.sessions[session_id].taken -= 1

    async def lock_booking_status(self, booking_id: uuid.UUID) -> str | None:
        return self.bookings[booking_id].status if booking_id in self.bookings else None

    async def set_status(self, booking_id: uuid.UUID, status: str, reason: str | None = None,
                         keep_reason: bool = True) -> None:
        b = self.bookings[booking_id]
        b.status, b.transmitted = status, False
        if not keep_reason:
            b.reason = reason

    async def insert_booking(self, booking_id, session_id, activity_id, child_id, family_id, day, arrival,
                             departure, status, reason) -> int:
        assert self.booking_of(child_id, activity_id, day) is None, "one booking per child and day"
        seq = next(self._seq)
        self.bookings[booking_id] = Booking(booking_id, session_id, activity_id, child_id, family_id, day, arrival,
                                            departure, status, reason, seq)
        return seq

    async def record_movement(self, booking_id: uuid.UUID, family_id: uuid.UUID, kind: str, outcome: str) -> None:
        self.movements.append(MovementRow(len(self.movements) + 1, booking_id, family_id, kind, outcome))

    async def waitlist_position(self, session_id: uuid.UUID, request_seq: int) -> int:
        return sum(1 for b in self.bookings.values()
                   if b.session_id == session_id and b.status == "waitlisted" and b.request_seq <= request_seq)

    async def first_waitlisted(self, session_id: uuid.UUID) -> Waitlisted | None:
        waiting = sorted((b for b in self.bookings.values() if b.session_id == session_id
                          and b.status == "waitlisted"), key=lambda b: b.request_seq)
        if not waiting:
            return None
        b = waiting[0]
        return Waitlisted(b.id, b.family_id, b.child_id, b.activity_id, b.day, b.arrival, b.departure)

    async def lock_request(self, booking_id: uuid.UUID) -> Request | None:
        b = self.bookings.get(booking_id)
        if b is None:
            return None
        a = self.activities[b.activity_id]
        return Request(b.id, b.family_id, b.session_id, b.status, a.structure_id, a.waitlist_allowed)

    # -- the set-based basket (store/baskets.py), written here row after row like the old confirmation -------------
    def _place(self, session_id: uuid.UUID) -> Place:
        s = self.sessions[session_id]
        a = self.activities[s.activity_id]
        waiting = sum(1 for b in self.bookings.values() if b.session_id == session_id and b.status == "waitlisted")
        return Place(s.capacity, s.taken, waiting if s.capacity is not None else 0, a.waitlist_allowed,
                     a.needs_approval)

    async def record_reservations(self, family_id: uuid.UUID, lines: Sequence[NewBooking]) -> list[Recorded]:
        before = {x.session_id: self._place(x.session_id) for x in lines}
        recorded = []
        for x in lines:
            place = before[x.session_id]
            if place.needs_approval:
                status, reason = "pending", None
            elif await self.take_place(x.session_id):
                status, reason = "accepted", None
            else:
                status, reason = ("waitlisted", None) if place.waitlist_allowed else ("refused",
                                                                                       "plus de place disponible")
            seq = await self.insert_booking(x.booking_id, x.session_id, x.activity_id, x.child_id, family_id, x.day,
                                            x.arrival, x.departure, status, reason)
            await self.record_movement(x.booking_id, family_id, "reserve", status)
            position = await self.waitlist_position(x.session_id, seq) if status == "waitlisted" else None
            recorded.append(Recorded(x.booking_id, status, position, place))
        return recorded

    async def cancel_bookings(self, family_id: uuid.UUID, booking_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        freed = []
        for booking_id in booking_ids:
            b = self.bookings[booking_id]
            was = b.status
            await self.set_status(booking_id, "cancelled")
            await self.record_movement(booking_id, family_id, "cancel", "cancelled")
            if was == "accepted" and self.sessions[b.session_id].capacity is not None:
                await self.release_place(b.session_id)
                freed.append(b.session_id)
        return list(dict.fromkeys(freed))

    async def lock_places(self, session_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Place]:
        return {s: self._place(s) for s in session_ids if s in self.sessions}

    async def promote_waitlisted(self, counts: dict[uuid.UUID, int]) -> list[Promoted]:
        promoted = []
        for session_id, n in counts.items():
            for _ in range(n):
                w = await self.first_waitlisted(session_id)
                if w is None:
                    break
                if self.sessions[session_id].capacity is not None:
                    self.sessions[session_id].taken += 1
                await self.set_status(w.id, "accepted")
                await self.record_movement(w.id, w.family_id, "reserve", "accepted")
                c, a = self.children[w.child_id], self.activities[w.activity_id]
                promoted.append(Promoted(w.id, w.family_id, w.child_id, w.activity_id, w.day, w.arrival, w.departure,
                                         c.first_name, c.last_name, a.name, a.structure_id))
        return promoted

    # -- the transmission -------------------------------------------------------------------------------------------
    async def families_to_transmit(self) -> list[uuid.UUID]:
        return sorted({m.family_id for m in self.movements
                       if m.transmission_id is None and m.outcome not in WAITING_FOR_ANSWER})

    async def pick_movements(self, transmission_id: uuid.UUID, families: Collection[uuid.UUID]) -> list[Movement]:
        picked = []
        for m in self.movements:
            if m.transmission_id is None and m.outcome not in WAITING_FOR_ANSWER and m.family_id in families:
                m.transmission_id = transmission_id
                b = self.bookings[m.booking_id]
                a, c = self.activities[b.activity_id], self.children[b.child_id]
                picked.append((m.id, Movement(
                    m.booking_id, m.family_id, m.kind, m.outcome, b.child_id, b.activity_id, b.day,
                    b.arrival or a.start, b.departure or a.end, c.first_name, c.last_name, a.name, a.structure_id,
                    self.structure_names.get(a.structure_id, ""))))
        return [mv for _, mv in sorted(picked, key=lambda p: (str(p[1].family_id), str(p[1].structure_id), p[0]))]

    async def mark_bookings_transmitted(self, booking_ids: Collection[uuid.UUID]) -> None:
        for booking_id in booking_ids:
            if all(m.transmission_id for m in self.movements
                   if m.booking_id == booking_id and m.outcome not in WAITING_FOR_ANSWER):
                self.bookings[booking_id] = replace(self.bookings[booking_id], transmitted=True)

    async def families_price_facts(self, families: Collection[uuid.UUID]) -> FamiliesPriceFacts:
        kids = {f: [(c.id, c.birth_date) for c in self.children.values() if f in c.households] for f in families}
        return FamiliesPriceFacts(dict(self.tariffs), {f: self.quotients.get(f) for f in families}, kids)

    async def record_charged_prices(self, prices: dict[uuid.UUID, Price]) -> None:
        for booking_id, found in prices.items():
            self.bookings[booking_id] = replace(self.bookings[booking_id], charged=found)

    async def insert_transmission(self, transmission_id: uuid.UUID, started_at, families: int, lines: int) -> None:
        self.transmissions.append((transmission_id, families, lines))


class FakeOutbox:
    """kit.outbox.Producer's two calls; the events are kept in order."""

    def __init__(self) -> None:
        self.events: list = []

    async def add(self, _conn, payload, *, secret: bool = False) -> None:
        self.events.append(payload)

    async def add_many(self, _conn, payloads) -> None:
        self.events.extend(payloads)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]
