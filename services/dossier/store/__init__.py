"""dossier's store: all of its SQL, as named asyncpg methods returning the plain records of
``records.py``, with health data sealed and opened on the way (ADR 0004).

``Store(pool, sealer)`` hands out a ``Tx`` — in a transaction (``store.transaction()``) or on a plain
connection (``store.connection()``); the service layer calls its methods and never writes SQL. The unit
tests replace it with an in-memory fake offering the same methods."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from services.dossier.domain.crypto import Sealer

from .campaign import CampaignQueries, FamilyProgress, HouseRules, SignedRules
from .certificates import CertificateQueries
from .closing import ClosingQueries
from .documents import DocumentQueries
from .family_index import FamilyIndexQueries
from .people import PeopleQueries
from .records import (
    Campaign,
    Child,
    Contact,
    Document,
    HealthRead,
    Insurer,
    NewSheet,
    PreviousSheet,
    ReviewItem,
    Sheet,
    SheetDocument,
)
from .roster import RosterQueries
from .sheets import SheetQueries

__all__ = [
    "Campaign",
    "Child",
    "Contact",
    "Document",
    "FamilyProgress",
    "HealthRead",
    "HouseRules",
    "Insurer",
    "NewSheet",
    "PreviousSheet",
    "ReviewItem",
    "Sheet",
    "SheetDocument",
    "SignedRules",
    "Store",
    "Tx",
]


class Tx(SheetQueries, DocumentQueries, PeopleQueries, RosterQueries, FamilyIndexQueries, CampaignQueries,
         CertificateQueries, ClosingQueries):
    """The queries of dossier on one connection (``conn``, also what the outbox writes with)."""

    def __init__(self, conn: asyncpg.Connection, sealer: Sealer | None = None) -> None:
        self.conn = conn
        self.sealer = sealer  # type: ignore[assignment]  # None only where nothing sealed is read


class Store:
    def __init__(self, pool: asyncpg.Pool, sealer: Sealer) -> None:
        self.pool = pool
        self.sealer = sealer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield Tx(conn, self.sealer)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Tx]:
        async with self.pool.acquire() as conn:
            yield Tx(conn, self.sealer)
