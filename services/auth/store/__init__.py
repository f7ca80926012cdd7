"""auth's SQL, bound to its pool: `Store(pool)` gives connections (`transaction()`, `connection()`) and
every named query of this package as an attribute, each a function of the connection returning
dataclasses (`await store.account_for_update(conn, account_id)`). The service layer takes a store, so
its tests pass a fake one (tests/unit/test_auth_service.py). `Store(None)` serves a caller that brings its own
connection."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from services.auth.store import accounts, custody, families, family_search, sessions, structures

QUERIES: dict[str, Any] = {name: getattr(module, name)
                           for module in (accounts, custody, families, family_search, sessions, structures) for name in module.__all__}


class Store:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn:
            yield conn

    def __getattr__(self, name: str) -> Any:
        try:
            return QUERIES[name]
        except KeyError:
            raise AttributeError(name) from None
