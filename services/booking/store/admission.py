"""The waiting room's table (`basket_requests`): admitting a confirmation in arrival order, handing the oldest
to a worker, keeping its answer, and what a parent's result page reads (status, position, recent rate)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

import asyncpg

from kit.db import keeps_session_state
from services.booking.domain.basket import Line

# one key for the admission gate (pg_advisory_lock): booking's workers, in every replica, take their
# next confirmation and its locks one at a time, so the oldest always locks first
GATE_KEY = 0x626F6F6B  # "book"
# the recent rate a waiting parent's estimate divides its position by: the confirmations recorded over this window
RATE_SECONDS = 20
ADMIT_KEY = 0x61646D74  # "admt": admissions, one at a time


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    family_id: uuid.UUID
    subject: str
    seq: int
    lines: list[Line]


@dataclass(frozen=True)
class RequestState:
    id: uuid.UUID
    status: str  # queued | done | failed
    seq: int
    position: int | None  # among the confirmations still queued (1 = next); None once recorded
    results: list[dict] | None
    problem: str | None
    recent_rate: float | None = None  # while queued: confirmations recorded per second lately (None when none was)


def _line_json(line: Line) -> dict:
    return {"child_id": str(line.child_id), "activity_id": str(line.activity_id), "date": line.date.isoformat(),
            "action": line.action, "arrival": line.arrival and line.arrival.isoformat(),
            "departure": line.departure and line.departure.isoformat()}


def _line(d: dict) -> Line:
    return Line(uuid.UUID(d["child_id"]), uuid.UUID(d["activity_id"]), date.fromisoformat(d["date"]), d["action"],
                d["arrival"] and time.fromisoformat(d["arrival"]), d["departure"] and time.fromisoformat(d["departure"]))


class AdmissionQueries:
    conn: asyncpg.Connection

    async def admit(self, request_id: uuid.UUID, family_id: uuid.UUID, subject: str, lines: Sequence[Line]) -> bool:
        """Queue a confirmation behind every one admitted before; False when this id was already admitted
        (a form posted twice is one request)."""
        # admissions commit one at a time: `seq` order is then the order in which they become visible, so
        # a worker never takes a later request while an earlier one is still being admitted. One statement
        # in its own transaction (`Database.single`): the lock is taken before `seq` is drawn and held only
        # while the server runs it and commits, never across a round trip to a busy service's event loop.
        seq = await self.conn.fetchval(
            """WITH gate AS (SELECT pg_advisory_xact_lock($5))
               INSERT INTO basket_requests (id, family_id, subject, lines)
               SELECT $1, $2, $3, $4::jsonb FROM gate
               ON CONFLICT (id) DO NOTHING RETURNING seq""",
            request_id, family_id, subject, json.dumps([_line_json(x) for x in lines]), ADMIT_KEY)
        return seq is not None

    async def claim_next_behind_gate(self) -> Claimed | None:
        """Wait for the admission gate, then the oldest confirmation still queued, locked until the end of the
        transaction: one round trip (migration 021). The gate stays held, also when the queue is empty, until
        `open_gate`, or until the connection goes back to the pool: marked as keeping session state, it is
        reset then (kit.db)."""
        keeps_session_state(self.conn)
        r = await self.conn.fetchrow("SELECT id, family_id, subject, seq, lines FROM booking_claim_next($1)", GATE_KEY)
        if r is None:
            return None
        return Claimed(r["id"], r["family_id"], r["subject"], r["seq"], [_line(d) for d in json.loads(r["lines"])])

    async def open_gate(self) -> None:
        await self.conn.execute("SELECT pg_advisory_unlock($1)", GATE_KEY)

    async def finish(self, request_id: uuid.UUID, status: str, results: list[dict] | None,
                     problem: str | None) -> None:
        await self.conn.execute(
            """UPDATE basket_requests SET status = $2, results = $3::jsonb, problem = $4, finished_at = now()
               WHERE id = $1""", request_id, status, json.dumps(results) if results is not None else None, problem)

    async def request_state(self, request_id: uuid.UUID, family_id: uuid.UUID) -> RequestState | None:
        """A family's confirmation (None for another family's: it does not exist for them). Its position is
        counted from the oldest confirmation still queued, in admission numbers: the workers record in that
        order, so those between are queued too — but for a number a form posted twice left unused, or a later
        basket whose commit came first, which make it a little more, never less. One look at the queued index's
        first entry, not a count of the queue: each waiting page asks it again and again while thousands wait."""
        r = await self.conn.fetchrow(
            """SELECT id, status, seq, results::text AS results, problem,
                      CASE WHEN status = 'queued' THEN
                          r.seq - (SELECT min(q.seq) FROM basket_requests q WHERE q.status = 'queued') + 1
                      END AS position,
                      CASE WHEN status = 'queued' THEN (SELECT count(*) FROM basket_requests f
                          WHERE f.finished_at > now() - make_interval(secs => $3)) END AS recent
               FROM basket_requests r WHERE id = $1 AND family_id = $2""", request_id, family_id, RATE_SECONDS)
        if r is None:
            return None
        return RequestState(r["id"], r["status"], r["seq"], r["position"],
                            json.loads(r["results"]) if r["results"] else None, r["problem"],
                            r["recent"] / RATE_SECONDS if r["recent"] else None)

    async def queue_depth(self) -> int:
        """Confirmations admitted and not yet recorded (the metric the autoscaler follows)."""
        return await self.conn.fetchval("SELECT count(*) FROM basket_requests WHERE status = 'queued'")
