"""The SQL of accounts: their passwords, addresses, reset links and consents."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = [
    "AccountSecret",
    "AlreadyExists",
    "Contacts",
    "LegalVersion",
    "NewAccount",
    "ResetLink",
    "account_by_login_and_email",
    "account_by_login_key",
    "account_for_update",
    "account_secret",
    "bump_contacts_version",
    "family_contacts",
    "insert_account",
    "insert_consents",
    "insert_reset_link",
    "insert_staff_structures",
    "kill_reset_links",
    "login_taken",
    "pending_consents",
    "require_password_change",
    "set_emails",
    "set_password_hash",
    "store_new_password",
    "use_reset_link",
    "valid_reset_link",
]

# Stored identifiants are ASCII (letters, digits, ". _ - @"): folding them in SQL with the C collation gives
# exactly policy.login_key() of them, whatever the database's locale (a Turkish one would fold "I" to "ı").
ACCOUNT_BY_KEY = 'lower(login COLLATE "C") = $1'
# A new version of a fact: later than the one before, even within one microsecond (the row lock orders
# concurrent changes), so that consumers keep the newest (kit/projection.py).
BUMP = "greatest(clock_timestamp(), {column} + interval '1 microsecond')"


class AlreadyExists(Exception):
    """A row with this unique key was written at the same moment by someone else (the caller's transaction
    is then rolled back)."""


@dataclass(frozen=True)
class AccountSecret:
    id: uuid.UUID
    login: str
    password_hash: str
    role: str = "parent"
    family_id: uuid.UUID | None = None
    emails: tuple[str, ...] = ()
    must_change_password: bool = False


def _secret(row: asyncpg.Record | None) -> AccountSecret | None:
    if row is None:
        return None
    return AccountSecret(row["id"], row["login"], row["password_hash"], row["role"], row["family_id"],
                         tuple(row["emails"]), row["must_change_password"])


_SECRET = "id, login, password_hash, role, family_id, emails, must_change_password"


async def account_for_update(conn: asyncpg.Connection, account_id: uuid.UUID) -> AccountSecret | None:
    return _secret(await conn.fetchrow(f"SELECT {_SECRET} FROM accounts WHERE id = $1 FOR UPDATE", account_id))


async def account_secret(conn: asyncpg.Connection, account_id: uuid.UUID) -> AccountSecret | None:
    return _secret(await conn.fetchrow(f"SELECT {_SECRET} FROM accounts WHERE id = $1", account_id))


async def account_by_login_key(conn: asyncpg.Connection, key: str) -> AccountSecret | None:
    """The account whose identifiant's normal form (policy.login_key) is `key`."""
    return _secret(await conn.fetchrow(f"SELECT {_SECRET} FROM accounts WHERE {ACCOUNT_BY_KEY}", key))


async def account_by_login_and_email(conn: asyncpg.Connection, key: str, email: str) -> AccountSecret | None:
    """The account of this identifiant having this address (case does not count)."""
    return _secret(await conn.fetchrow(
        f"""SELECT {_SECRET} FROM accounts WHERE {ACCOUNT_BY_KEY}
            AND EXISTS (SELECT 1 FROM unnest(emails) e WHERE lower(e) = lower($2))""", key, email))


async def set_password_hash(conn: asyncpg.Connection, account_id: uuid.UUID, password_hash: str) -> None:
    """The same password, hashed again with today's parameters."""
    await conn.execute("UPDATE accounts SET password_hash = $2 WHERE id = $1", account_id, password_hash)


async def store_new_password(conn: asyncpg.Connection, account_id: uuid.UUID, password_hash: str) -> None:
    await conn.execute(
        """UPDATE accounts SET password_hash = $2, must_change_password = false, password_changed_at = now()
           WHERE id = $1""", account_id, password_hash)


async def login_taken(conn: asyncpg.Connection, login: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM accounts WHERE lower(login) = lower($1)", login))


@dataclass(frozen=True)
class NewAccount:
    id: uuid.UUID
    login: str
    role: str
    display_name: str
    password_hash: str
    emails: tuple[str, ...]
    family_id: uuid.UUID | None = None


async def insert_account(conn: asyncpg.Connection, account: NewAccount, *, if_new: bool = False) -> bool:
    """A new account, which must choose its password at first sign-in. `if_new`: nothing when it exists."""
    try:
        created = await conn.fetchval(
            f"""INSERT INTO accounts (id, login, role, family_id, display_name, password_hash, must_change_password,
                                  emails)
            VALUES ($1, $2, $3, $4, $5, $6, true, $7) {'ON CONFLICT DO NOTHING' if if_new else ''} RETURNING true""",
            account.id, account.login, account.role, account.family_id, account.display_name, account.password_hash,
            list(account.emails))
    except asyncpg.UniqueViolationError as exc:
        raise AlreadyExists(account.login) from exc
    return bool(created)


async def insert_staff_structures(conn: asyncpg.Connection, account_id: uuid.UUID,
                                  structure_ids: list[uuid.UUID]) -> None:
    await conn.executemany("INSERT INTO staff_structures (account_id, structure_id) VALUES ($1, $2)",
                           [(account_id, s) for s in structure_ids])


async def set_emails(conn: asyncpg.Connection, account_id: uuid.UUID, emails: list[str]) -> None:
    await conn.execute("UPDATE accounts SET emails = $2 WHERE id = $1", account_id, emails)


async def require_password_change(conn: asyncpg.Connection, family_id: uuid.UUID) -> None:
    await conn.execute("UPDATE accounts SET must_change_password = true WHERE family_id = $1", family_id)


@dataclass(frozen=True)
class Contacts:
    account_id: uuid.UUID
    emails: tuple[str, ...]
    greeting: str
    updated_at: datetime


async def bump_contacts_version(conn: asyncpg.Connection, family_id: uuid.UUID) -> None:
    await conn.execute(f"UPDATE accounts SET contacts_updated_at = {BUMP.format(column='contacts_updated_at')} "
                       "WHERE family_id = $1", family_id)


async def family_contacts(conn: asyncpg.Connection, family_id: uuid.UUID) -> Contacts | None:
    row = await conn.fetchrow("SELECT id, emails, display_name, contacts_updated_at FROM accounts "
                              "WHERE family_id = $1", family_id)
    if row is None:
        return None
    return Contacts(row["id"], tuple(row["emails"]), row["display_name"], row["contacts_updated_at"])


# -- reset links ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResetLink:
    token_hash: bytes
    account_id: uuid.UUID


async def kill_reset_links(conn: asyncpg.Connection, account_id: uuid.UUID) -> None:
    """Only the newest link works: requesting another kills the previous ones."""
    await conn.execute("UPDATE reset_tokens SET used_at = now() WHERE account_id = $1 AND used_at IS NULL",
                       account_id)


async def insert_reset_link(conn: asyncpg.Connection, token_hash: bytes, account_id: uuid.UUID,
                            created_at: datetime, expires_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO reset_tokens (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash, account_id, created_at, expires_at)


async def valid_reset_link(conn: asyncpg.Connection, token_hash: bytes, now: datetime) -> ResetLink | None:
    row = await conn.fetchrow(
        """SELECT t.token_hash, t.account_id FROM reset_tokens t
           WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2 FOR UPDATE""", token_hash, now)
    return ResetLink(row["token_hash"], row["account_id"]) if row else None


async def use_reset_link(conn: asyncpg.Connection, token_hash: bytes) -> None:
    await conn.execute("UPDATE reset_tokens SET used_at = now() WHERE token_hash = $1", token_hash)


# -- consents -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LegalVersion:
    kind: str
    version: int
    title: str


# The latest RGPD/CGU versions an account (`{account}`: its id in SQL) has not accepted yet (`{columns}`: what
# is read of each).
PENDING_CONSENTS_OF = """SELECT {columns} FROM legal_documents d
           WHERE d.version = (SELECT max(version) FROM legal_documents x WHERE x.kind = d.kind)
             AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.account_id = {account} AND c.kind = d.kind
                             AND c.version = d.version)
           ORDER BY d.kind DESC"""


async def pending_consents(conn: asyncpg.Connection, account_id: uuid.UUID) -> list[LegalVersion]:
    """The latest RGPD/CGU versions this account has not accepted yet (PENDING_CONSENTS_OF)."""
    rows = await conn.fetch(PENDING_CONSENTS_OF.format(account="$1", columns="d.kind, d.version, d.title"), account_id)
    return [LegalVersion(r["kind"], r["version"], r["title"]) for r in rows]


async def insert_consents(conn: asyncpg.Connection, account_id: uuid.UUID, accepted: list[LegalVersion]) -> None:
    await conn.executemany(
        "INSERT INTO consents (account_id, kind, version) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        [(account_id, p.kind, p.version) for p in accepted])
