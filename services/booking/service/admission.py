"""The waiting room (docs/adr/0008-waiting-room.md): a confirmation is admitted at once in arrival order
(one sequence for every replica), then recorded by booking's workers in that order, and its answer kept for
the parent's result page. The order decides who gets the last places: a worker takes the oldest queued
confirmation and its locks (children, sessions with limited places) behind a gate that only one worker of
any replica passes at a time; once a basket holds its locks the gate opens for the next one, so baskets
that share no session are recorded side by side and a later basket never takes a place before an earlier
one. The request row, the bookings and the answer are written in one transaction: a worker that dies
leaves the confirmation queued, never half-recorded."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from contracts.errors import DomainError, NotFound
from kit.identity import Identity
from kit.logging import get_logger
from services.booking import access
from services.booking.domain.admission import eta_seconds, poll_seconds
from services.booking.domain.basket import Line
from services.booking.service import OUTBOX
from services.booking.service.confirm import EmptyBasket, LineResult, count, record
from services.booking.store.admission import Claimed, RequestState

log = get_logger(__name__)

NOT_FOUND = "Demande introuvable."
FAILED = "Vos demandes n'ont pas pu être enregistrées. Réessayez dans un instant."


@dataclass(frozen=True)
class State:
    """What the parent's page shows: the answer once recorded, else the position and the wait."""

    id: uuid.UUID
    status: str  # queued | done | failed
    position: int | None
    eta_seconds: int | None
    results: list[dict] | None
    problem: str | None

    @property
    def poll_seconds(self) -> int | None:
        """When the waiting page asks again (None once recorded or failed)."""
        return poll_seconds(self.eta_seconds) if self.status == "queued" else None


async def admit(db, who: Identity, request_id: uuid.UUID, lines: list[Line]) -> None:
    """Queue a family's confirmation behind every one admitted before (nothing else is checked here: the
    basket is checked again under lock when its turn comes). Admitting the same id again changes nothing."""
    family_id = access.require_family(who)
    if not lines:
        raise EmptyBasket("Aucune réservation ni annulation à valider.")
    async with db.single() as store:  # one statement: the admission lock is never held across a round trip
        await store.admit(request_id, family_id, who.subject, lines)


async def state(db, who: Identity, request_id: uuid.UUID) -> State:
    """A family's confirmation as it stands; another family's is not found."""
    family_id = access.require_family(who)
    async with db.reading() as store:  # one statement: its position and the recent rate with it
        found: RequestState | None = await store.request_state(request_id, family_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    if found.status != "queued":
        return State(found.id, found.status, None, None, found.results, found.problem)
    return State(found.id, found.status, found.position, eta_seconds(found.position, found.recent_rate), None, None)


class Gate:
    """The admission gate: passed by one worker of any replica at a time (a PostgreSQL advisory lock, taken
    with the claim of the oldest queued confirmation) and, inside one process, by one of its workers at a time
    (an asyncio lock, taken before the worker takes a connection: the process's other workers wait for it
    holding nothing, not a pooled connection idle in its transaction)."""

    def __init__(self, local: asyncio.Lock) -> None:
        self.local, self.store, self.held, self.local_held = local, None, False, False

    async def enter_process(self) -> None:
        await self.local.acquire()
        self.local_held = True

    async def claim(self, store) -> Claimed | None:
        """Pass the database's gate and claim the oldest queued confirmation (None when none is queued: the
        gate is held all the same, until `open`)."""
        self.store = store
        claimed = await store.claim_next_behind_gate()  # if it fails, its lock goes with the connection's reset
        self.held = True
        return claimed

    async def open(self) -> None:
        """Let the next worker in (idempotent: the basket opens it once it holds its locks, `record_next` at
        the end in any case)."""
        try:
            if self.held:
                self.held = False
                try:
                    await self.store.open_gate()
                except Exception:  # noqa: BLE001 - an aborted transaction: the pool resets the connection, unlocking it
                    log.warning("admission gate left to the connection reset")
        finally:
            if self.local_held:
                self.local_held = False
                self.local.release()


async def record_next(db, local_gate: asyncio.Lock, now: Callable[[], datetime],
                      render: Callable[[list[LineResult]], list[dict]], outbox=OUTBOX) -> uuid.UUID | None:
    """Record the oldest queued confirmation, if any, with its answer (one transaction). Returns its id."""
    gate = Gate(local_gate)
    await gate.enter_process()
    try:
        async with db.transaction() as store:
            try:
                claimed = await gate.claim(store)
                if claimed is None:
                    return None
                who = Identity(subject=claimed.subject, role="parent", family_id=claimed.family_id)
                try:
                    # no savepoint (two round trips more, one of them behind the gate): `record` refuses a
                    # basket (DomainError) before it writes anything, so a refused basket leaves nothing behind
                    results = await record(store, who, claimed.lines, now(), outbox, locked=gate.open)
                except DomainError as exc:
                    await store.finish(claimed.id, "failed", None, exc.detail or FAILED)
                    return claimed.id
            finally:
                await gate.open()
            await store.finish(claimed.id, "done", render(results), None)
    finally:
        await gate.open()  # the process's lock, if the connection or the transaction could not even start
    count(results)
    return claimed.id
