"""All of booking's SQL: named asyncpg functions returning dataclasses, grouped by what they read or write.

`Store(conn)` binds them to one connection (in the caller's transaction); `Database(pool)` opens one for a
transaction script. The service layer sees only these methods, so its unit tests give it a fake store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from services.booking.store.absences import AbsenceQueries
from services.booking.store.activities import ActivityQueries
from services.booking.store.admission import AdmissionQueries
from services.booking.store.baskets import BasketQueries
from services.booking.store.bookings import BookingQueries
from services.booking.store.catalog import CatalogQueries
from services.booking.store.children import Child, ChildQueries
from services.booking.store.closures import ClosureQueries
from services.booking.store.family import FamilyQueries
from services.booking.store.family_month import FamilyMonthQueries
from services.booking.store.projections import ProjectionQueries
from services.booking.store.reminders import ReminderQueries
from services.booking.store.roster import RosterQueries
from services.booking.store.sessions import SESSIONS_SQL, SessionQueries
from services.booking.store.status import StatusQueries
from services.booking.store.transmission import MOVEMENTS_SQL, TransmissionQueries

__all__ = ["MOVEMENTS_SQL", "SESSIONS_SQL", "Child", "Database", "Store"]


class Store(ActivityQueries, BookingQueries, CatalogQueries, ChildQueries, FamilyQueries, ProjectionQueries,
            SessionQueries,
            TransmissionQueries, RosterQueries, BasketQueries, FamilyMonthQueries, StatusQueries, AdmissionQueries,
            ClosureQueries, AbsenceQueries, ReminderQueries):
    """booking's queries on one connection."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    def transaction(self):
        """A transaction (or a savepoint inside the caller's) on this connection."""
        return self.conn.transaction()


class Database:
    """The pool, handing out a `Store` per transaction script."""

    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Store]:
        async with self.pool.acquire() as conn:
            yield Store(conn)

    @asynccontextmanager
    async def single(self) -> AsyncIterator[Store]:
        """A connection for one statement in a transaction of its own (autocommit): the locks it takes are
        released by the server's commit, without waiting for this service to send one."""
        async with self.pool.acquire() as conn:
            yield Store(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Store]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield Store(conn)
