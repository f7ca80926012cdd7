"""asyncpg: one pool per service, each service with its own database."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg

from kit.errors import DependencyUnavailable


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


def with_database(dsn: str, name: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


async def connect_or_explain(dsn: str, **kwargs) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(dsn, **kwargs)
    except (OSError, asyncpg.exceptions.CannotConnectNowError) as exc:
        raise DependencyUnavailable.postgres(dsn, exc) from exc


async def ensure_database(dsn: str) -> bool:
    """Create the service's database if it does not exist yet. Returns True when created."""
    name = database_name(dsn)
    admin_dsn = with_database(dsn, "postgres")
    conn = await connect_or_explain(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.exceptions.DuplicateDatabaseError:
            return False  # created concurrently by another replica
        return True
    finally:
        await conn.close()


# The server pids of pooled connections that took session-level state (an advisory lock held past its transaction,
# a session setting): reset fully when they go back to a pool made with `reset_marked_only`.
_SESSION_STATE: set[int] = set()


def keeps_session_state(conn: asyncpg.Connection) -> None:
    """Say that this pooled connection is about to take session-level state (pg_advisory_lock, set_config(...,
    false)): its pool resets it fully (advisory locks released, settings reset) when it comes back."""
    _SESSION_STATE.add(conn.get_server_pid())


async def _reset_marked_only(conn: asyncpg.Connection) -> None:
    # asyncpg has already rolled back an open transaction and dropped the connection's listeners
    # (Connection._reset, before this hook); only a connection said to keep session state has more to undo
    pid = conn.get_server_pid()
    if pid in _SESSION_STATE:
        _SESSION_STATE.discard(pid)
        await conn.execute(conn.get_reset_query())


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10, *,
                      reset_marked_only: bool = False) -> asyncpg.Pool:
    """The service's pool. asyncpg resets every connection it takes back (pg_advisory_unlock_all, CLOSE ALL,
    UNLISTEN *, RESET ALL): one more round trip per use, as dear as the statement itself for a one-statement
    read. A service whose code keeps no session state on pooled connections but where it says so
    (`keeps_session_state`) passes `reset_marked_only` and saves it (docs/adr/0008)."""
    try:
        return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size,
                                         reset=_reset_marked_only if reset_marked_only else None)
    except (OSError, asyncpg.exceptions.CannotConnectNowError) as exc:
        raise DependencyUnavailable.postgres(dsn, exc) from exc
