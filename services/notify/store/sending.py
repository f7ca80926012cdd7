"""The SQL of sending. A sender holds one connection while it sends: each of its transactions records the
outcomes of the mails its SMTP sessions finished (in bulk) and claims the next ones for its idle sessions
(their attempt recorded, 'sending', committed before any hand-off), with a session advisory lock on every
delivery it is sending, released with its outcome. Also the purge of old bodies; NOTIFY wakes
a sender."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

__all__ = ["Attempt", "Delivery", "claim", "hold_locks", "listen", "purge_old_bodies", "record_failures", "record_sent"]

# The namespace of the session advisory locks a sender holds on the deliveries it is sending
# (pg_try_advisory_lock(int, int): a key space of its own, apart from the outbox relay's bigint key).
SENDING_LOCK = 0x4E544659  # "NTFY"
# A session holding such locks must not outlive its process for hours when the machine vanishes
# (no FIN, no RST): the server probes the idle connection and ends it within about 30 s, freeing the locks.
LOCK_HOLDER_KEEPALIVE = ("set_config('tcp_keepalives_idle', '15', false), "
                         "set_config('tcp_keepalives_interval', '5', false), "
                         "set_config('tcp_keepalives_count', '3', false)")
# Rows left 'sending' looked at per claim: those of live senders (locked, skipped) and interrupted ones.
INTERRUPTED_CANDIDATES = 64

_KEY = "(id % 2147483647)::int"  # the int4 half of the two-key advisory lock
_CLAIM_COLUMNS = """id, status, recipients, subject, body_text, body_html, attempts, repeats, template, family_id,
                    event_id, trace_context::text AS trace_context"""
# One statement: the candidates row-locked (SKIP LOCKED), then advisory-locked one by one until `limit`
# are taken (the LIMIT stops the scan: no lock is taken on a row that is not returned), then their attempt
# recorded. Deliveries left 'sending' are either being sent by a live sender (its advisory lock is taken:
# skipped) or were interrupted by a crash (a repeat: they go out again before anything new); due ones
# are taken in the order of the pending index.
_CLAIM_SQL = """WITH candidates AS MATERIALIZED ({candidates} FOR UPDATE SKIP LOCKED),
                     mine AS MATERIALIZED (SELECT id FROM candidates
                                           WHERE pg_try_advisory_lock({lock}, {key}) LIMIT $1)
                UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1,
                    repeats = d.repeats + {repeat}, last_attempt_at = now()
                FROM mine WHERE d.id = mine.id RETURNING {columns}"""
_INTERRUPTED_SQL = _CLAIM_SQL.format(
    candidates=f"""SELECT id FROM deliveries WHERE status = 'sending' AND id <> ALL($2::bigint[])
                   ORDER BY id LIMIT {INTERRUPTED_CANDIDATES}""",
    lock=SENDING_LOCK, key=_KEY, repeat=1, columns=_CLAIM_COLUMNS.replace("id,", "d.id,", 1))
_DUE_SQL = _CLAIM_SQL.format(
    candidates="""SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()
                  ORDER BY next_attempt_at LIMIT $1""",
    lock=SENDING_LOCK, key=_KEY, repeat=0, columns=_CLAIM_COLUMNS.replace("id,", "d.id,", 1))
# A delivery's lock is released by the statement recording its outcome, before the commit: the row lock
# of that UPDATE keeps every claim (SKIP LOCKED) off the row until the commit, after which it is no longer
# 'sending'. Should the commit fail, the row is left 'sending' and unlocked: sent again, counted a repeat.
_RELEASE = f"pg_advisory_unlock({SENDING_LOCK}, (d.id % 2147483647)::int)"


@dataclass(frozen=True)
class Delivery:
    id: int
    status: str
    recipients: tuple[str, ...]
    subject: str
    body_text: str
    body_html: str | None
    attempts: int
    repeats: int
    template: str
    family_id: uuid.UUID | None
    event_id: uuid.UUID
    trace_context: str | None


@dataclass(frozen=True)
class Attempt:
    """A delivery claimed by this sender: 'sending', recorded (committed with the claim), advisory lock held."""

    delivery: Delivery
    attempts: int
    repeats: int
    repeat: bool  # a previous attempt was interrupted during its hand-off: this mail may go out twice


async def claim(conn: asyncpg.Connection, limit: int, sending: Sequence[int] = (),
                interrupted: bool = True) -> list[Attempt]:
    """In the caller's transaction (its row locks keep two senders off one row until the attempt is
    committed): up to `limit` deliveries to send, each locked for this connection's session and recorded
    as an attempt ('sending'); with `interrupted`, those a crash interrupted first. `sending`: the ones this
    connection is sending already (its own locks would be taken again)."""
    attempts: list[Attempt] = []
    if limit > 0 and interrupted:
        attempts += [_attempt(row, True) for row in await conn.fetch(_INTERRUPTED_SQL, limit, list(sending))]
    if limit > len(attempts):
        attempts += [_attempt(row, False) for row in await conn.fetch(_DUE_SQL, limit - len(attempts))]
    return attempts


def _attempt(row: asyncpg.Record, repeat: bool) -> Attempt:
    # the row as updated: `attempts` and `repeats` count this attempt
    delivery = Delivery(**{**dict(row), "recipients": tuple(row["recipients"])})
    return Attempt(delivery, row["attempts"], row["repeats"], repeat)


async def hold_locks(conn: asyncpg.Connection) -> None:
    """Make this connection fit to hold sending locks (probed while idle, see LOCK_HOLDER_KEEPALIVE), until
    it goes back to the pool (whose reset also releases every lock it still holds)."""
    await conn.execute(f"SELECT {LOCK_HOLDER_KEEPALIVE}")


async def record_failures(conn: asyncpg.Connection, delivery_ids: Sequence[int], answers: Sequence[str],
                          finals: Sequence[bool], delays: Sequence[float], secret_templates: tuple[str, ...],
                          secret_note: str) -> None:
    """Each back to 'pending' after its delay in seconds, or 'failed' (final: a credential's body then
    replaced), its lock released, in one statement."""
    if not delivery_ids:
        return
    await conn.fetch(
        f"""UPDATE deliveries d SET smtp_answer = o.answer,
               status = CASE WHEN o.final THEN 'failed' ELSE 'pending' END,
               next_attempt_at = now() + make_interval(secs => o.delay),
               body_text = CASE WHEN o.final AND d.template = ANY($5::text[]) THEN $6 ELSE d.body_text END,
               body_html = CASE WHEN o.final AND d.template = ANY($5::text[]) THEN NULL ELSE d.body_html END
           FROM unnest($1::bigint[], $2::text[], $3::bool[], $4::float8[]) AS o(id, answer, final, delay)
           WHERE d.id = o.id RETURNING {_RELEASE}""",
        list(delivery_ids), list(answers), list(finals), list(delays), list(secret_templates), secret_note)


async def record_sent(conn: asyncpg.Connection, delivery_ids: Sequence[int], answers: Sequence[str],
                      secret_templates: tuple[str, ...], secret_note: str) -> None:
    """Each 'sent' with the server's answer (a credential's body replaced), its lock released, in one
    statement."""
    if not delivery_ids:
        return
    await conn.fetch(
        f"""UPDATE deliveries d SET status = 'sent', smtp_answer = o.answer, sent_at = now(),
               body_text = CASE WHEN d.template = ANY($3::text[]) THEN $4 ELSE d.body_text END,
               body_html = CASE WHEN d.template = ANY($3::text[]) THEN NULL ELSE d.body_html END
           FROM unnest($1::bigint[], $2::text[]) AS o(id, answer) WHERE d.id = o.id RETURNING {_RELEASE}""",
        list(delivery_ids), list(answers), list(secret_templates), secret_note)


async def purge_old_bodies(conn: asyncpg.Connection, keep_days: int) -> None:
    """The delivery log is kept, the mails' bodies (reset links, personal detail) are not."""
    await conn.execute(
        """UPDATE deliveries SET body_text = '', body_html = NULL WHERE status IN ('sent', 'failed')
           AND created_at < now() - make_interval(days => $1) AND body_text <> ''""", keep_days)


async def listen(dsn: str, wake: Callable[[], None]) -> asyncpg.Connection:
    """A connection of its own calling `wake` at each NOTIFY deliveries (a delivery recorded); close it."""
    listener = await asyncpg.connect(dsn)
    await listener.add_listener("deliveries", lambda *_: wake())
    return listener
