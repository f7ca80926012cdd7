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


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    try:
        return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
    except (OSError, asyncpg.exceptions.CannotConnectNowError) as exc:
        raise DependencyUnavailable.postgres(dsn, exc) from exc
