"""The calendar's one statement and the process's cache of what changes rarely (services/booking/service/
catalog_cache.py, migration 019), on the real database: the price a parent's calendar shows follows a new
tariff at once, an incompatibility declared by staff stops the next basket, a second process (replica) sees
the change too, and another family's child stays not found; the recap and the follow-up price a family's lines
from one statement (children, quotient, catalog version) and the cached tariffs. Dates are fixed (the calendar is read with an
injected `now`): nothing depends on today."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime

import pytest

from contracts.errors import NotFound
from contracts.pricing import Bracket, Tariff
from kit.identity import Identity
from services.booking.domain.basket import Line
from services.booking.service import confirm, parents
from services.booking.service.catalog_cache import CATALOG, CatalogCache
from services.booking.store import Database, Store
from tests.conftest import database_url, migrated_pool

NOW = datetime(2030, 8, 20, 8, 0, tzinfo=UTC)  # well before the month booked: every deadline open
MONTH, DAY = "2030-09", date(2030, 9, 10)


@pytest.fixture
async def pool(db_prefix):
    p = await migrated_pool(database_url(db_prefix, "booking_catalog"), "booking", max_size=4)
    yield p
    await p.close()


def tariff(activity: uuid.UUID, cents: int) -> Tariff:
    return Tariff(tariff_id=uuid.uuid4(), activity_id=activity, effective_from=date(2030, 1, 1),
                  brackets=[Bracket(qf_max=None, price_cents=cents)])


async def world(pool) -> dict:
    """A structure with a canteen and an evening APS (hours apart: compatible until declared otherwise), one
    session each on DAY, and two families with a child each."""
    structure, canteen, aps = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    families, kids = [uuid.uuid4(), uuid.uuid4()], [uuid.uuid4(), uuid.uuid4()]
    async with pool.acquire() as conn:
        for activity, name, hours in ((canteen, "Restauration scolaire", ("11:30", "13:30")),
                                      (aps, "APS soir", ("16:30", "18:30"))):
            start, end = (datetime.strptime(h, "%H:%M").time() for h in hours)
            await conn.execute("INSERT INTO activities (id, structure_id, name, start_time, end_time) "
                               "VALUES ($1, $2, $3, $4, $5)", activity, structure, name, start, end)
            await conn.execute("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity) "
                               "VALUES ($1, $2, $3, $4, $5, 10)", uuid.uuid4(), activity, DAY, start, end)
        for family, kid in zip(families, kids, strict=True):
            await conn.execute("INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id) "
                               "VALUES ($1, $2, 'Léa', 'MARTIN', '2022-03-01', $3)", kid, family, structure)
        await Store(conn).upsert_tariff(uuid.uuid4(), canteen, date(2030, 1, 1), tariff(canteen, 250).model_dump_json())
    return {"structure": structure, "canteen": canteen, "aps": aps, "families": families, "kids": kids}


def parent(family: uuid.UUID) -> Identity:
    return Identity(subject=str(family), role="parent", family_id=family)


async def price_on_day(pool, w) -> int | None:
    days = await parents.month_calendar(Database(pool), parent(w["families"][0]), w["kids"][0], MONTH, NOW,
                                        w["canteen"], [])
    (line,) = next(d for d in days if d.day == DAY).sessions
    return line.cost_cents


async def test_a_new_tariff_is_priced_at_once(pool):
    w = await world(pool)
    assert await price_on_day(pool, w) == 250
    assert await price_on_day(pool, w) == 250  # from the cache now
    async with pool.acquire() as conn:  # billing's new tariff, as booking's consumer records it
        await Store(conn).upsert_tariff(uuid.uuid4(), w["canteen"], date(2030, 1, 1),
                                        tariff(w["canteen"], 310).model_dump_json())
    assert await price_on_day(pool, w) == 310


async def test_an_incompatibility_declared_by_staff_stops_the_next_basket(pool):
    w = await world(pool)
    family, kid = w["families"][0], w["kids"][0]
    lines = [Line(kid, w["canteen"], DAY, "reserve"), Line(kid, w["aps"], DAY, "reserve")]
    other = [Line(w["kids"][1], line.activity_id, DAY, "reserve") for line in lines]  # caches the pair's answer
    assert [r.outcome for r in await confirm.confirm(Database(pool), parent(w["families"][1]), other, NOW)] == [
        "accepted", "accepted"]
    replica = CatalogCache()  # a second booking process, with its own cache
    async with pool.acquire() as conn:
        version = await conn.fetchval("SELECT version FROM catalog_version")
        assert await replica.incompatibilities(Store(conn), {w["canteen"], w["aps"]}, version) == set()
    async with Database(pool).transaction() as store:
        await store.declare_incompatible(w["canteen"], w["structure"], [w["aps"]])
    async with pool.acquire() as conn:
        version = await conn.fetchval("SELECT version FROM catalog_version")
        assert await replica.incompatibilities(Store(conn), {w["canteen"], w["aps"]}, version) == {
            frozenset((w["canteen"], w["aps"]))}
    results = await confirm.confirm(Database(pool), parent(family), lines, NOW)
    assert [r.outcome for r in results].count("rejected") == 1
    assert CATALOG.version == version


async def test_another_familys_child_is_not_found(pool):
    w = await world(pool)
    with pytest.raises(NotFound):
        await parents.month_calendar(Database(pool), parent(w["families"][1]), w["kids"][0], MONTH, NOW, None, [])


class CountedDatabase:
    """Database's reading side on one connection whose statements are listed (asyncpg's query logger)."""

    def __init__(self, conn):
        self.conn, self.statements = conn, []

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Store]:
        self.conn.add_query_logger(self._log)
        try:
            yield Store(self.conn)
        finally:
            self.conn.remove_query_logger(self._log)

    def _log(self, record) -> None:
        self.statements.append(record.query)


async def test_the_recap_and_the_follow_up_read_a_family_in_one_statement_and_price_a_new_tariff_at_once(pool):
    w = await world(pool)
    family, kid = w["families"][0], w["kids"][0]
    lines = [Line(kid, w["canteen"], DAY, "reserve"), Line(kid, w["aps"], DAY, "reserve")]
    types = {"accepted", "transmitted", "not_transmitted"}
    await confirm.confirm(Database(pool), parent(family), lines[:1], NOW)  # a booked canteen day to follow
    async with pool.acquire() as conn:
        counted = CountedDatabase(conn)
        await parents.recap(counted, parent(family), lines, NOW)  # fills the catalog cache
        counted.statements.clear()
        rows = await parents.recap(counted, parent(family), lines, NOW)
        # the family with its quotient and the catalog's version, then the basket's sessions: nothing else
        # (the tariffs and incompatibilities come from the cache while the version holds)
        assert len(counted.statements) == 2, counted.statements
        assert [r.cost_cents for r in rows] == [250, None]  # the APS has no tariff: no price shown
        assert rows[0].child is not None and rows[0].child.id == kid
        counted.statements.clear()
        followed = await parents.follow_up(counted, parent(family), None, None, None, None, types)
        assert len(counted.statements) == 2, counted.statements  # the family, then its requests
        assert followed.total_accepted_cents == 250

        await Store(conn).upsert_tariff(uuid.uuid4(), w["canteen"], date(2030, 1, 1),
                                        tariff(w["canteen"], 310).model_dump_json())
        assert (await parents.recap(counted, parent(family), lines, NOW))[0].cost_cents == 310
        assert (await parents.follow_up(counted, parent(family), None, None, None, None, types)
                ).total_accepted_cents == 310  # not transmitted yet: priced with today's tariff (docs/adr/0003)
        with pytest.raises(NotFound):  # another family's child, in the recap as in the follow-up
            await parents.recap(counted, parent(w["families"][1]), lines, NOW)
        with pytest.raises(NotFound):
            await parents.follow_up(counted, parent(w["families"][1]), kid, None, None, None, types)


async def test_the_childrens_page_reads_in_one_statement_and_shows_a_new_activity_at_once(pool):
    w = await world(pool)
    family = w["families"][0]
    async with pool.acquire() as conn:
        counted = CountedDatabase(conn)
        await parents.children(counted, parent(family))  # fills the catalog cache
        counted.statements.clear()
        ((child, activities),) = await parents.children(counted, parent(family))
        assert len(counted.statements) == 1, counted.statements  # the family; its structures' activities cached
        assert child.id == w["kids"][0]
        assert [a.name for a in activities] == ["Restauration scolaire", "APS soir"]  # by start time
        await conn.execute("INSERT INTO activities (id, structure_id, name, start_time, end_time) "
                           "VALUES ($1, $2, 'APS matin', '07:30', '08:30')", uuid.uuid4(), w["structure"])
        ((_, activities),) = await parents.children(counted, parent(family))  # the catalog's version moved
        assert [a.name for a in activities] == ["APS matin", "Restauration scolaire", "APS soir"]


async def test_two_databases_served_by_one_process_never_share_the_cache(db_prefix):
    """The tests run booking in one process against a database per test: the same structure (the demo's fixed
    ids) with other activities in another database must not be read from the cache (migration 023)."""
    pools = [await migrated_pool(database_url(db_prefix, f"booking_catalog_{n}"), "booking", max_size=4)
             for n in (1, 2)]
    try:
        structure, family, kid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        names = []
        for p, name in zip(pools, ("Restauration scolaire", "APS soir"), strict=True):
            async with p.acquire() as conn:
                await conn.execute("INSERT INTO activities (id, structure_id, name, start_time, end_time) "
                                   "VALUES ($1, $2, $3, '11:30', '13:30')", uuid.uuid4(), structure, name)
                await conn.execute("INSERT INTO children (id, family_id, first_name, last_name, birth_date, "
                                   "structure_id) VALUES ($1, $2, 'Léa', 'MARTIN', '2022-03-01', $3)",
                                   kid, family, structure)
            ((_, activities),) = await parents.children(Database(p), parent(family))
            names.append([a.name for a in activities])
        assert names == [["Restauration scolaire"], ["APS soir"]]
    finally:
        for p in pools:
            await p.close()
