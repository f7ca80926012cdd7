"""The process's cache of what changes rarely (services/booking/service/catalog_cache.py): read once per
catalog version, read again as soon as the version moves (a staff change, a new tariff), never kept when
the version is unknown; and the deadline instants the calendar asks for again and again are the rule's."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from services.booking.domain.deadlines import DeadlineRule, deadline_for, is_open_for_change
from services.booking.domain.openings import public_holidays
from services.booking.service.catalog_cache import CatalogCache

CANTEEN, APS, STRUCTURE = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)


class CountingStore:
    def __init__(self) -> None:
        self.reads = 0
        self.pairs: set[frozenset[uuid.UUID]] = set()
        self.tariffs: dict = {}

    async def declared_incompatibilities(self, activity_ids):
        self.reads += 1
        return {p for p in self.pairs if p & set(activity_ids)}

    async def tariff_versions(self, structure_ids):
        self.reads += 1
        return dict(self.tariffs)


async def test_read_once_per_version_and_again_when_it_moves():
    store, cache = CountingStore(), CatalogCache()
    assert await cache.incompatibilities(store, {CANTEEN, APS}, 7) == set()
    assert await cache.incompatibilities(store, {APS, CANTEEN}, 7) == set()
    assert store.reads == 1
    store.pairs.add(frozenset((CANTEEN, APS)))  # staff declare them incompatible: the version moves
    assert await cache.incompatibilities(store, {CANTEEN, APS}, 8) == {frozenset((CANTEEN, APS))}
    assert store.reads == 2
    store.tariffs = {CANTEEN: ["v1"]}
    assert await cache.tariffs(store, {STRUCTURE}, 8) == {CANTEEN: ["v1"]}
    store.tariffs = {CANTEEN: ["v2"]}
    assert await cache.tariffs(store, {STRUCTURE}, 8) == {CANTEEN: ["v1"]}  # same version: kept
    assert await cache.tariffs(store, {STRUCTURE}, 9) == {CANTEEN: ["v2"]}


async def test_an_unknown_version_is_never_kept():
    store, cache = CountingStore(), CatalogCache()
    for _ in range(3):
        await cache.incompatibilities(store, {CANTEEN}, None)
    assert store.reads == 3


def test_the_kept_deadline_is_the_rules():
    rule = DeadlineRule(2, True, time(10, 0))
    day = date(2030, 11, 12)  # the Tuesday after 11 November: the deadline skips the holiday and the weekend
    holidays = public_holidays(day.year)
    assert deadline_for(day, rule, holidays) == datetime(2030, 11, 7, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    for _ in range(2):  # the second time from the kept instants
        assert is_open_for_change(day, rule, datetime(2030, 11, 7, 8, 59, tzinfo=UTC), holidays)
        assert not is_open_for_change(day, rule, datetime(2030, 11, 7, 9, 0, tzinfo=UTC), holidays)
