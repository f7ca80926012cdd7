"""notify's SQL, bound to its pool: `Store(pool)` gives connections (`connection()`, `transaction()`,
`begin(conn)` for a transaction on a connection held) and every named query of this package as an
attribute, each a function of the connection returning dataclasses. The service layer takes a store, so
its tests pass a fake one (tests/unit/test_notify_service.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from services.notify.store import deliveries, digests, reminders, resends, sending, status

# What a database failure raises: a loop logs it and tries again later.
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
QUERIES: dict[str, Any] = {name: getattr(module, name)
                           for module in (deliveries, digests, reminders, resends, sending, status)
                           for name in module.__all__}


class Store:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    def begin(self, conn: asyncpg.Connection):
        """A transaction on a connection the caller holds (`async with store.begin(conn):`)."""
        return conn.transaction()

    def run_lock(self, run_id, wait: bool):
        """`async with store.run_lock(run_id, wait) as ours:` the digest run's lock (store/digests.py)."""
        return digests.run_lock(self.pool, run_id, wait)

    def max_connections(self) -> int:
        return self.pool.get_max_size()

    def __getattr__(self, name: str) -> Any:
        try:
            return QUERIES[name]
        except KeyError:
            raise AttributeError(name) from None
