"""Recording a basket and answering requests: everything is checked again under lock; a place is held at
confirmation; when the last place is gone the request goes on the waiting list (if allowed) or is refused
(domain.states.request_outcome, the one ladder, applied to a whole basket by domain.places). Two parents can
never get the same last place: the sessions with limited places are locked in one global order before their
counts are read, and the CHECK on `sessions.taken` refuses any overbooking. A freed place goes to the
waiting list at once."""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from contracts.booking import BookingWaitlistPromotedV1, BookingWaitlistPromotedV2
from contracts.errors import Conflict, Invalid
from kit.identity import Identity
from kit.ids import uuid4s
from kit.metrics import BOOKINGS
from services.booking import access
from services.booking.domain.basket import Line, plan
from services.booking.domain.places import decide_reservations, promotions
from services.booking.domain.refusal import staff_refusal_reason
from services.booking.domain.sessions import SessionView, view_of
from services.booking.domain.states import BookingStatus, request_outcome
from services.booking.service import OUTBOX
from services.booking.service.catalog_cache import CATALOG
from services.booking.store.baskets import NewBooking


@dataclass(frozen=True)
class LineResult:
    line: Line
    outcome: str            # accepted | waitlisted | refused | pending | cancelled | rejected
    reason: str | None = None
    booking_id: uuid.UUID | None = None
    waitlist_position: int | None = None
    activity_name: str | None = None


async def load_basket(store, lines: list[Line], now: datetime, family_id: uuid.UUID | None = None
                      ) -> tuple[dict[tuple, SessionView], set[frozenset[uuid.UUID]]]:
    """The sessions the lines name, and the child's other bookings of its days, as each child sees them at
    ``now`` (and as `family_id` does: a day the child's other household booked is neither bookable nor
    cancellable), in one round trip; and the declared incompatibilities of the basket's activities (cached
    while the catalog's version holds)."""
    views: dict[tuple, SessionView] = {}
    spans: dict[uuid.UUID, tuple[date, date]] = {}
    for line in lines:  # each child's days, from its first to its last
        first, last = spans.get(line.child_id, (line.date, line.date))
        spans[line.child_id] = (min(first, line.date), max(last, line.date))
    # one round trip for every child of the basket
    found, version = await store.basket_sessions(set(spans), min(f for f, _ in spans.values()),
                                                 max(t for _, t in spans.values()), family_id)
    wanted = {line.key for line in lines}
    for child_id, rows in found.items():
        first, last = spans[child_id]
        for row in rows:
            key = (child_id, row.activity.id, row.day)
            # the basket's own sessions, and the child's other booked ones (their hours may clash with the
            # basket's, domain.basket.plan): a session the child has not booked nor asked for is not needed
            if first <= row.day <= last and (key in wanted or row.status is not None):
                views[key] = view_of(row, now)
    return views, await CATALOG.incompatibilities(store, {line.activity_id for line in lines}, version)


class EmptyBasket(Invalid):
    title = "Panier vide"


class RuleMismatch(RuntimeError):
    """The set-based statement decided otherwise than the domain: the basket is rolled back whole."""


# How many direct confirmations of this process are inside their transaction at once. The others queue here,
# before taking a connection: a basket's transaction (its children's and then its sessions' locks) is held
# across round trips, each resumed only when the event loop gets to it, so the fewer baskets share the loop the
# sooner each one sends its next statement and its COMMIT, and the sooner the next basket of the same school
# gets the sessions. Measured with bench.booking_year (docs/adr/0008 §1).
CONFIRM_CONCURRENCY = 4
# How many confirmation bodies this process decodes and validates at once, before `gate`. At a rush the bodies
# arrive together: decoded all at once (a fraction of a millisecond each for 40 lines), they would fill the event
# loop's queue ahead of the baskets inside their transaction, whose next statement and COMMIT wait behind them with
# their children's and sessions' locks held. Read two at a time, they interleave with those (docs/adr/0008 §1).
READ_CONCURRENCY = 2
_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = \
    weakref.WeakKeyDictionary()


def _gate(name: str, size: int) -> asyncio.Semaphore:
    """The running event loop's semaphore of that name (one per loop: a semaphore belongs to its loop)."""
    gates = _GATES.setdefault(asyncio.get_running_loop(), {})
    found = gates.get(name)
    if found is None:
        found = gates[name] = asyncio.Semaphore(size)
    return found


def gate(size: int = CONFIRM_CONCURRENCY) -> asyncio.Semaphore:
    """The confirmations inside their transaction at once."""
    return _gate("record", size)


def reading_gate(size: int = READ_CONCURRENCY) -> asyncio.Semaphore:
    """The confirmation bodies being decoded and validated at once (services/booking/http/parents.py)."""
    return _gate("read", size)


async def confirm(db, who: Identity, lines: list[Line], now: datetime, outbox=OUTBOX,
                  deadline_seconds: float | None = None) -> list[LineResult]:
    """Record the family's basket in one transaction (see `record`), each line answered; at most
    CONFIRM_CONCURRENCY baskets of this process at once (`gate`). With a deadline, a basket not recorded within
    it (waiting for the gate, a connection or its locks included) is rolled back whole and TimeoutError
    raised; once recorded, its commit is never cut short by the deadline (the parent would be told "not
    recorded" of a basket that was)."""
    async with asyncio.timeout(deadline_seconds) as deadline, gate(), db.transaction() as store:
        results = await record(store, who, lines, now, outbox)
        deadline.reschedule(None)  # recorded in time: the commit below is not cut short
    count(results)
    return results


def count(results: list[LineResult]) -> None:
    for outcome, n in Counter(result.outcome for result in results).items():  # one metric call per outcome
        BOOKINGS.labels(outcome).inc(n)


async def record(store, who: Identity, lines: list[Line], now: datetime, outbox=OUTBOX,
                 locked: Callable[[], Awaitable[None]] | None = None) -> list[LineResult]:
    """Record a basket in the caller's transaction and a handful of statements whatever its size: the
    cancellations together, then the reservations together (decided from the locked places), then the
    waiting lists the freed places promote. `locked` is awaited once the basket holds every lock it needs
    (the waiting room opens its gate to the next basket then). A basket is refused (DomainError) only before
    the first write: the waiting room's worker records its answer « failed » in the same transaction, with no
    savepoint (service/admission.py). Keep every check above the first write."""
    family_id = access.require_family(who)
    if not lines:
        raise EmptyBasket("Aucune réservation ni annulation à valider.")
    # One family's confirmations run one at a time (two tabs cannot book the same day twice).
    await access.require_own_children(store, who, {line.child_id for line in lines}, lock=True)
    # The lines are checked (sessions, deadlines, enrolment, the child's own bookings, incompatibilities)
    # before the sessions are locked: the children's locked rows keep their bookings still, and the places
    # are not decided here but by the set-based statement below, from the counts read under the sessions'
    # locks. So the sessions stay locked for one statement and the commit only (without cancellations).
    views, declared = await load_basket(store, lines, now, family_id)
    results: list[LineResult | None] = []
    new_ids = iter(uuid4s(len(lines)))
    cancels: list[tuple[int, Line, SessionView]] = []
    reserves: list[tuple[int, Line, SessionView, NewBooking]] = []
    for line, view, check in plan(lines, views, declared):
        name = view.activity.name if view else None
        results.append(None)
        if not check.ok:
            results[-1] = LineResult(line, "rejected", check.reason, activity_name=name)
        elif line.action == "cancel":
            cancels.append((len(results) - 1, line, view))
        else:
            times = view.activity.kind == "time_entry"
            reserves.append((len(results) - 1, line, view, NewBooking(
                next(new_ids), view.session_id, view.activity.id, line.child_id, line.date,
                line.arrival if times else None, line.departure if times else None)))
    # Sessions with a limited number of places are locked in one global order before any count is read, so
    # the places the statements read stay true until commit: by the reservations' statement itself (the locks
    # are then held for one statement and the commit, the whole of a rentrée basket), or first of all when
    # cancellations free places.
    freed: list[uuid.UUID] = []
    if cancels:
        await store.lock_limited_sessions([line.activity_id for line in lines], [line.date for line in lines])
        if locked is not None:
            await locked()
        freed = await store.cancel_bookings(family_id, [view.booking_id for _, _, view in cancels])
        for i, line, view in cancels:
            results[i] = LineResult(line, "cancelled", booking_id=view.booking_id, activity_name=view.activity.name)
    recorded = await store.record_reservations(family_id, [new for *_, new in reserves])
    if not cancels and locked is not None:
        await locked()
    decisions = decide_reservations([(new.session_id, r.place)
                                     for (*_, new), r in zip(reserves, recorded, strict=True)])
    for (i, line, view, new), r, decision in zip(reserves, recorded, decisions, strict=True):
        if (r.status, r.position) != (decision.status.value, decision.position):
            raise RuleMismatch(f"{new.session_id}: statement {r.status}/{r.position}, domain {decision}")
        results[i] = LineResult(line, r.status, decision.reason, new.booking_id, r.position, view.activity.name)
    await promote_waitlists(store, freed, now, outbox)
    return results


async def promote_waitlist(store, session_id: uuid.UUID, now: datetime, outbox=OUTBOX) -> int:
    """Give a session's free places to its waiting list, first requested first. Returns how many were promoted."""
    return await promote_waitlists(store, [session_id], now, outbox)


async def promote_waitlists(store, session_ids: list[uuid.UUID], now: datetime, outbox=OUTBOX) -> int:
    """The same for several sessions at once: how many each promotes is domain.places.promotions of its
    locked places; the promotions are one statement, and each promoted family is told (outbox)."""
    if not session_ids:
        return 0
    places = await store.lock_places(session_ids)
    promoted = await store.promote_waitlisted(
        {sid: promotions(p.capacity, p.taken, p.waiting) for sid, p in places.items()})
    for p in promoted:
        private = BookingWaitlistPromotedV1(
            booking_id=p.id, family_id=p.family_id, structure_id=p.structure_id, child_id=p.child_id,
            child_first_name=p.first_name, child_last_name=p.last_name, activity_id=p.activity_id,
            activity_name=p.activity_name, date=p.day, arrival=p.arrival, departure=p.departure, promoted_at=now)
        await outbox.add(store.conn, private)  # the child's name, for the family's mail
        await outbox.add(store.conn, BookingWaitlistPromotedV2.of(private))
    return len(promoted)


async def decide(db, who: Identity, booking_id: uuid.UUID, accept: bool, reason: str | None) -> str:
    """Staff accept or refuse a request waiting for their decision ("En attente réponse"); a request of a
    structure they do not manage is not found (access.require_decision)."""
    access.require_staff(who)
    async with db.transaction() as store:
        request = await store.lock_request(booking_id)
        access.require_decision(who, request.structure_id if request else None)
        if request.status != BookingStatus.PENDING:
            raise Conflict("Cette demande a déjà reçu une réponse.")
        if accept:
            outcome, reason = request_outcome(await store.take_place(request.session_id), request.waitlist_allowed)
        else:  # a refusal says why: the family reads it in its follow-up
            outcome, reason = BookingStatus.REFUSED, staff_refusal_reason(reason)
        await store.set_status(booking_id, outcome.value, reason, keep_reason=False)
        await store.record_movement(booking_id, request.family_id, "reserve", outcome.value)
        return outcome.value
