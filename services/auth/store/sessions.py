"""The SQL of sign-in: the throttle counters, the sessions and the structures an account sees."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.auth.domain.policy import ThrottleState
from services.auth.store.accounts import PENDING_CONSENTS_OF, LegalVersion

__all__ = [
    "ResolvedSession",
    "SessionRow",
    "StructureRef",
    "account_structures",
    "delete_session",
    "end_other_sessions",
    "forget_throttle",
    "insert_session",
    "lock_throttle",
    "resolved_session",
    "save_throttle",
    "set_session_structure",
    "touch_session",
]


async def lock_throttle(conn: asyncpg.Connection, key: str) -> ThrottleState:
    """The key's counter, its row created or locked until the end of the caller's transaction."""
    row = await conn.fetchrow(
        """INSERT INTO login_throttle (key) VALUES ($1)
           ON CONFLICT (key) DO UPDATE SET key = excluded.key  -- locks an existing row
           RETURNING failures, blocked_until""", key)
    return ThrottleState(row["failures"], row["blocked_until"])


async def save_throttle(conn: asyncpg.Connection, states: list[tuple[str, ThrottleState]], now: datetime) -> None:
    await conn.executemany(
        "UPDATE login_throttle SET failures = $2, last_failure_at = $3, blocked_until = $4 WHERE key = $1",
        [(key, state.failures, now, state.blocked_until) for key, state in states])


async def forget_throttle(conn: asyncpg.Connection, keys: list[str]) -> None:
    await conn.execute("DELETE FROM login_throttle WHERE key = ANY($1::text[])", keys)


async def insert_session(conn: asyncpg.Connection, token_hash: bytes, account_id: uuid.UUID, csrf_token: str,
                         structure_id: uuid.UUID | None, address: str | None) -> uuid.UUID:
    session_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO sessions (id, token_hash, account_id, csrf_token, structure_id, client_address)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        session_id, token_hash, account_id, csrf_token, structure_id, address)
    return session_id


@dataclass(frozen=True)
class SessionRow:
    session_id: uuid.UUID
    csrf_token: str
    structure_id: uuid.UUID | None
    created_at: datetime
    last_seen_at: datetime
    account_id: uuid.UUID
    login: str
    role: str
    family_id: uuid.UUID | None
    display_name: str
    emails: tuple[str, ...]
    must_change_password: bool


SESSION_COLUMNS = [name for name in SessionRow.__dataclass_fields__ if name != "emails"]


async def delete_session(conn: asyncpg.Connection, session_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM sessions WHERE id = $1", session_id)


async def touch_session(conn: asyncpg.Connection, session_id: uuid.UUID, now: datetime) -> None:
    await conn.execute("UPDATE sessions SET last_seen_at = $2 WHERE id = $1", session_id, now)


async def set_session_structure(conn: asyncpg.Connection, session_id: uuid.UUID, structure_id: uuid.UUID) -> None:
    await conn.execute("UPDATE sessions SET structure_id = $2 WHERE id = $1", session_id, structure_id)


async def end_other_sessions(conn: asyncpg.Connection, account_id: uuid.UUID, keep: uuid.UUID | None) -> None:
    await conn.execute("DELETE FROM sessions WHERE account_id = $1 AND id IS DISTINCT FROM $2", account_id, keep)


@dataclass(frozen=True)
class StructureRef:
    id: uuid.UUID
    name: str
    updated_at: datetime


# The structures an account sees (`{account}`: the account's id in SQL; `{columns}`: what is read of each): a
# family's (its own and its children's), a staff member's, or all; a family's own structure first (the one
# shown after sign-in).
STRUCTURES_OF = """SELECT {columns} FROM structures s
           WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = {account} AND (
                   a.role = 'admin'
                OR (a.role = 'staff' AND EXISTS (SELECT 1 FROM staff_structures ss
                                                 WHERE ss.account_id = a.id AND ss.structure_id = s.id))
                OR (a.role = 'parent' AND (
                       EXISTS (SELECT 1 FROM families f WHERE f.id = a.family_id AND f.structure_id = s.id)
                    OR EXISTS (SELECT 1 FROM children c WHERE c.family_id = a.family_id AND c.structure_id = s.id)))))
           ORDER BY s.id IS NOT DISTINCT FROM (SELECT f.structure_id FROM families f JOIN accounts a
                                               ON a.family_id = f.id WHERE a.id = {account}) DESC, s.name"""


async def account_structures(conn: asyncpg.Connection, account_id: uuid.UUID) -> list[StructureRef]:
    """The structures an account sees (STRUCTURES_OF)."""
    rows = await conn.fetch(STRUCTURES_OF.format(account="$1", columns="s.id, s.name, s.updated_at"), account_id)
    return [StructureRef(r["id"], r["name"], r["updated_at"]) for r in rows]


@dataclass(frozen=True)
class ResolvedSession:
    """A session with its account, the structures the account sees and (a parent's) the legal documents it
    has not accepted yet."""

    row: SessionRow
    structures: list[StructureRef]
    pending_consents: list[LegalVersion]


# Every request of a signed-in user whose session the gateway has not kept resolves it: ONE statement (the
# session and its account, then the structures and the pending consents, each as an array in its own order).
RESOLVE_SQL = f"""
SELECT sess.*,
       ARRAY({STRUCTURES_OF.format(account="sess.account_id", columns="ROW(s.id, s.name, s.updated_at)")})
           AS structures,
       CASE WHEN sess.role = 'parent' THEN ARRAY(
           {PENDING_CONSENTS_OF.format(account="sess.account_id", columns="ROW(d.kind, d.version, d.title)")})
       END AS pending_consents
FROM (SELECT s.id AS session_id, s.csrf_token, s.structure_id, s.created_at, s.last_seen_at,
             a.id AS account_id, a.login, a.role, a.family_id, a.display_name, a.emails, a.must_change_password
      FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1) sess
"""


async def resolved_session(conn: asyncpg.Connection, token_hash: bytes) -> ResolvedSession | None:
    row = await conn.fetchrow(RESOLVE_SQL, token_hash)
    if row is None:
        return None
    session = SessionRow(**{k: row[k] for k in SESSION_COLUMNS}, emails=tuple(row["emails"]))
    return ResolvedSession(session, [StructureRef(*s) for s in row["structures"]],
                           [LegalVersion(*p) for p in row["pending_consents"] or ()])
