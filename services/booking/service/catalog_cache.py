"""What a parent's pages and baskets read that changes rarely, kept in this process: the tariffs that price a
day (parsed once, not on every calendar), the declared incompatibilities of activities and the activities of
structures (the children's page). Each entry is
stamped with the catalog's version (migration 019: bumped by every write to tariffs, activities and
incompatibilities, whichever code path or replica writes); the statement that needs an entry reads the
version in the same round trip, and an entry of another version is read again. A staff change is therefore
seen by the very next page or basket, on every replica. An unknown version (None) is never cached."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from contracts.pricing import Tariff
from services.booking.store.sessions import ActivityBrief

MAX_ENTRIES = 256  # sets of structures / activities kept per version


class CatalogCache:
    def __init__(self) -> None:
        self.version: int | None = None
        self._tariffs: dict[frozenset[uuid.UUID], dict[uuid.UUID, list[Tariff]]] = {}
        self._incompatible: dict[frozenset[uuid.UUID], set[frozenset[uuid.UUID]]] = {}
        self._activities: dict[frozenset[uuid.UUID], list[ActivityBrief]] = {}

    def _at(self, version: int | None) -> bool:
        """Whether entries may be kept for this version (the cache is emptied when it changes)."""
        if version is None:
            return False
        if version != self.version:
            self.version = version
            self._tariffs.clear()
            self._incompatible.clear()
            self._activities.clear()
        return True

    async def tariffs(self, store, structure_ids: Collection[uuid.UUID],
                      version: int | None) -> dict[uuid.UUID, list[Tariff]]:
        """Each activity's tariff versions for the activities of these structures, as of `version`."""
        key = frozenset(structure_ids)
        if not self._at(version):
            return await store.tariff_versions(key)
        if key not in self._tariffs:
            found = await store.tariff_versions(key)
            if version == self.version and len(self._tariffs) < MAX_ENTRIES:
                self._tariffs[key] = found
            return found
        return self._tariffs[key]

    async def incompatibilities(self, store, activity_ids: Collection[uuid.UUID],
                                version: int | None) -> set[frozenset[uuid.UUID]]:
        """The declared incompatibilities naming these activities, as of `version`."""
        key = frozenset(activity_ids)
        if not self._at(version):
            return await store.declared_incompatibilities(key)
        if key not in self._incompatible:
            found = await store.declared_incompatibilities(key)
            if version == self.version and len(self._incompatible) < MAX_ENTRIES:
                self._incompatible[key] = found
            return found
        return self._incompatible[key]

    async def activities(self, store, structure_ids: Collection[uuid.UUID],
                         version: int | None) -> list[ActivityBrief]:
        """The activities of these structures (by start time and name), as of `version`."""
        key = frozenset(structure_ids)
        if not self._at(version):
            return await store.activities_of_structures(key)
        if key not in self._activities:
            found = await store.activities_of_structures(key)
            if version == self.version and len(self._activities) < MAX_ENTRIES:
                self._activities[key] = found
            return found
        return self._activities[key]


CATALOG = CatalogCache()  # the process's cache (each replica keeps its own; the version keeps them true)
