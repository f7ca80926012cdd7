"""billing's database: every SQL statement of billing lives in this package, as named asyncpg queries
returning the dataclasses of services/billing/domain/. `Store(pool)` opens a transaction (or a plain
connection for reads) and hands out a `Tx` whose methods are those queries; an event's effect, already in
its inbox transaction, wraps its connection with `Tx(conn)`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from services.billing.store.absences import AbsenceQueries
from services.billing.store.accounts import AccountQueries
from services.billing.store.batches import BatchQueries
from services.billing.store.online import OnlineQueries
from services.billing.store.payments import PaymentQueries
from services.billing.store.projections import ProjectionQueries
from services.billing.store.tax import TaxQueries

__all__ = ["Store", "Tx"]


class Tx(ProjectionQueries, AccountQueries, PaymentQueries, BatchQueries, TaxQueries, OnlineQueries,
         AbsenceQueries):
    """The named queries of billing over one connection (in the caller's transaction, if any)."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn


class Store:
    """billing's database behind a pool."""

    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield Tx(conn)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        async with self.pool.acquire() as conn:
            yield Tx(conn)
