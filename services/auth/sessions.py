"""Sign-in, sessions and their identity: the use cases, thin over SQL and the pure policy."""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from services.auth import policy
from services.auth.passwords import PasswordHasher

GENERIC_LOGIN_FAILURE = "Identifiant ou mot de passe incorrect."


@dataclass(frozen=True)
class LoginOk:
    session_token: str


@dataclass(frozen=True)
class LoginRefused:
    message: str
    retry_at: datetime | None = None


def now_utc() -> datetime:
    return datetime.now(UTC)


def login_key(login: str) -> str:
    """THE normalisation of a typed identifiant, used both for the throttle key and for finding the account:
    NFKC, case folding (full: "ẞ" -> "ss", the Kelvin sign -> "k"), surrounding spaces removed. Every
    spelling that finds an account is therefore throttled with that account."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", login).casefold())
    return folded.strip()


# Stored identifiants are ASCII (letters, digits, ". _ - @"): folding them in SQL with the C collation gives
# exactly login_key() of them, whatever the database's locale (a Turkish one would fold "I" to "ı").
ACCOUNT_BY_KEY = 'lower(login COLLATE "C") = $1'


def throttle_key(login: str) -> str:
    key = login_key(login)
    if len(key) > 100:  # NFKC can make 200 characters typed many times longer: keep the index row small
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return f"login:{key}"


@dataclass(frozen=True)
class Blocked:
    until: datetime


async def count_attempt(conn: asyncpg.Connection, keys: list[tuple[str, policy.ThrottleRule]],
                        now: datetime) -> Blocked | list[policy.ThrottleState]:
    """Count a password check as a failure BEFORE it is made, in one short transaction that locks the
    keys' rows: of N guesses sent at once, no more than each rule allows ever reach the password check
    (the others find the block the earlier ones set). A success then forgets the count (`forget`).
    Returns the block in force (nothing counted), or each key's state once this attempt is counted."""
    async with conn.transaction():
        states = []
        for key, _rule in sorted(keys, key=lambda k: k[0]):  # one lock order: no deadlock between attempts
            row = await conn.fetchrow(
                """INSERT INTO login_throttle (key) VALUES ($1)
                   ON CONFLICT (key) DO UPDATE SET key = excluded.key  -- locks an existing row
                   RETURNING failures, blocked_until""", key)
            states.append((key, policy.ThrottleState(row["failures"], row["blocked_until"])))
        by_key = dict(states)
        blocked = [b for b in (policy.blocked_until(state, now) for _key, state in states) if b]
        if blocked:
            return Blocked(max(blocked))
        after = [policy.after_failure(by_key[key], rule, now) for key, rule in keys]
        await conn.executemany(
            "UPDATE login_throttle SET failures = $2, last_failure_at = $3, blocked_until = $4 WHERE key = $1",
            [(key, state.failures, now, state.blocked_until) for (key, _rule), state in zip(keys, after, strict=True)])
        return after


async def forget(conn: asyncpg.Connection, keys: list[str]) -> None:
    await conn.execute("DELETE FROM login_throttle WHERE key = ANY($1::text[])", keys)


def refused_after(states: list[policy.ThrottleState], now: datetime, message: str) -> LoginRefused:
    """A wrong password: the message, and the retry time when this failure started a block."""
    blocked = [b for b in (policy.blocked_until(s, now) for s in states) if b]
    if blocked:
        until = max(blocked)
        return LoginRefused(f"{message} {policy.retry_message(until)}", until)
    return LoginRefused(message)


async def login(pool: asyncpg.Pool, hasher: PasswordHasher, login: str, password: str,
                address: str | None) -> LoginOk | LoginRefused:
    now = now_utc()
    # Throttled by the identifiant typed, known or not: an attacker learns nothing from being slowed.
    keys = [(throttle_key(login), policy.ACCOUNT_RULE)]
    if address:
        keys.append((f"addr:{address}", policy.ADDRESS_RULE))
    async with pool.acquire() as conn:
        counted = await count_attempt(conn, keys, now)
        if isinstance(counted, Blocked):
            return LoginRefused(policy.retry_message(counted.until), counted.until)

        account = await conn.fetchrow(
            f"SELECT id, password_hash, role, family_id FROM accounts WHERE {ACCOUNT_BY_KEY}", login_key(login))
        if account is None:
            await asyncio.to_thread(hasher.dummy_verify, password)  # same cost as a real check
            ok = False
        else:
            ok = await asyncio.to_thread(hasher.verify, account["password_hash"], password)
        if not ok:
            return refused_after(counted, now, GENERIC_LOGIN_FAILURE)

        async with conn.transaction():
            await forget(conn, [key for key, _rule in keys])
            if hasher.needs_rehash(account["password_hash"]):
                new_hash = await asyncio.to_thread(hasher.hash, password)
                await conn.execute("UPDATE accounts SET password_hash = $2 WHERE id = $1", account["id"], new_hash)
            token = await create_session(conn, account["id"], address)
            return LoginOk(token)


async def create_session(conn: asyncpg.Connection, account_id: uuid.UUID, address: str | None) -> str:
    """A brand-new session id at every sign-in (no fixation)."""
    token = policy.new_token()
    structures = await account_structures(conn, account_id)
    await conn.execute(
        """INSERT INTO sessions (id, token_hash, account_id, csrf_token, structure_id, client_address)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        uuid.uuid4(), policy.token_hash(token), account_id, policy.new_token(),
        structures[0]["id"] if structures else None, address)
    return token


async def account_structures(conn: asyncpg.Connection, account_id: uuid.UUID) -> list[asyncpg.Record]:
    """The structures an account sees: a family's (its own and its children's), a staff member's, or all."""
    return await conn.fetch(
        """SELECT s.id, s.name, s.updated_at FROM structures s
           WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.id = $1 AND (
                   a.role = 'admin'
                OR (a.role = 'staff' AND EXISTS (SELECT 1 FROM staff_structures ss
                                                 WHERE ss.account_id = a.id AND ss.structure_id = s.id))
                OR (a.role = 'parent' AND (
                       EXISTS (SELECT 1 FROM families f WHERE f.id = a.family_id AND f.structure_id = s.id)
                    OR EXISTS (SELECT 1 FROM children c WHERE c.family_id = a.family_id AND c.structure_id = s.id)))))
           -- a family's own structure first: the one shown after sign-in
           ORDER BY s.id IS NOT DISTINCT FROM (SELECT f.structure_id FROM families f JOIN accounts a
                                               ON a.family_id = f.id WHERE a.id = $1) DESC, s.name""", account_id)


async def pending_consents(conn: asyncpg.Connection, account_id: uuid.UUID) -> list[asyncpg.Record]:
    """The latest RGPD/CGU versions this account has not accepted yet."""
    return await conn.fetch(
        """SELECT d.kind, d.version, d.title FROM legal_documents d
           WHERE d.version = (SELECT max(version) FROM legal_documents x WHERE x.kind = d.kind)
             AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.account_id = $1 AND c.kind = d.kind
                             AND c.version = d.version)
           ORDER BY d.kind DESC""", account_id)


async def resolve(pool: asyncpg.Pool, session_policy: policy.SessionPolicy, token: str) -> dict | None:
    """The signed-in account behind a session token, or None (unknown, idle too long, too old)."""
    now = now_utc()
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT s.id AS session_id, s.csrf_token, s.structure_id, s.created_at, s.last_seen_at,
                      a.id AS account_id, a.login, a.role, a.family_id, a.display_name, a.emails,
                      a.must_change_password
               FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1""",
            policy.token_hash(token))
        if row is None:
            return None
        if not session_policy.is_alive(row["created_at"], row["last_seen_at"], now):
            await conn.execute("DELETE FROM sessions WHERE id = $1", row["session_id"])
            return None
        if (now - row["last_seen_at"]).total_seconds() > 15:  # sliding idle timeout, few writes
            await conn.execute("UPDATE sessions SET last_seen_at = $2 WHERE id = $1", row["session_id"], now)
        structures = await account_structures(conn, row["account_id"])
        consents = await pending_consents(conn, row["account_id"]) if row["role"] == "parent" else []
    current = next((s for s in structures if s["id"] == row["structure_id"]), structures[0] if structures else None)
    return {
        "session_id": str(row["session_id"]), "account_id": str(row["account_id"]), "login": row["login"],
        "role": row["role"], "family_id": str(row["family_id"]) if row["family_id"] else None,
        "display_name": row["display_name"], "emails": list(row["emails"]),
        "must_change_password": row["must_change_password"], "csrf_token": row["csrf_token"],
        "structures": [{"id": str(s["id"]), "name": s["name"], "updated_at": s["updated_at"].isoformat()}
                       for s in structures],
        "current_structure_id": str(current["id"]) if current else None,
        "pending_consents": [{"kind": c["kind"], "version": c["version"], "title": c["title"]} for c in consents],
    }


async def logout(pool: asyncpg.Pool, session_id: uuid.UUID) -> None:
    await pool.execute("DELETE FROM sessions WHERE id = $1", session_id)


async def end_other_sessions(conn: asyncpg.Connection, account_id: uuid.UUID, keep: uuid.UUID | None) -> None:
    await conn.execute("DELETE FROM sessions WHERE account_id = $1 AND id IS DISTINCT FROM $2", account_id, keep)
