"""What a parent's pages and baskets read that changes rarely, kept in this process: the tariffs that price a
day (parsed once, not on every calendar), the declared incompatibilities of activities and the activities of
structures (the children's page). Each entry is
stamped with the catalog's version (migration 019: bumped by every write to tariffs, activities and
incompatibilities, whichever code path or replica writes); the statement that needs an entry reads the
version in the same round trip, and an entry of another version is read again (each database's version starts
from a random point, migration 023: a process that serves several databases in turn, as the tests do, never
takes one's entries for another's). A staff change is therefore
seen by the very next page or basket, on every replica. An unknown version (None) is never cached."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from contracts.pricing import Tariff
from services.booking.store.sessions import ActivityBrief

MAX_ENTRIES = 256  # sets of structures / activities kept per version


class CatalogCache:
    def __init__(self) -> None:
        self.version: int | None = None
        # by what is read (tariffs, incompatibilities, activities), then by the set of ids it was read for
        self._entries: dict[str, dict[frozenset[uuid.UUID], Any]] = {}

    def _at(self, version: int | None) -> bool:
        """Whether entries may be kept for this version (the cache is emptied when it changes)."""
        if version is None:
            return False
        if version != self.version:
            self.version = version
            self._entries.clear()
        return True

    async def _read(self, kind: str, ids: Collection[uuid.UUID], version: int | None,
                    read: Callable[[frozenset[uuid.UUID]], Awaitable[Any]]) -> Any:
        """What `read` answers for these ids as of `version`: kept while the version holds (an unknown version,
        or one that changed while reading, is read and not kept)."""
        key = frozenset(ids)
        if not self._at(version):
            return await read(key)
        entries = self._entries.setdefault(kind, {})
        if key not in entries:
            found = await read(key)
            if version == self.version and len(entries) < MAX_ENTRIES:
                self._entries.setdefault(kind, {})[key] = found
            return found
        return entries[key]

    async def tariffs(self, store, structure_ids: Collection[uuid.UUID],
                      version: int | None) -> dict[uuid.UUID, list[Tariff]]:
        """Each activity's tariff versions for the activities of these structures, as of `version`."""
        return await self._read("tariffs", structure_ids, version, store.tariff_versions)

    async def incompatibilities(self, store, activity_ids: Collection[uuid.UUID],
                                version: int | None) -> set[frozenset[uuid.UUID]]:
        """The declared incompatibilities naming these activities, as of `version`."""
        return await self._read("incompatibilities", activity_ids, version, store.declared_incompatibilities)

    async def activities(self, store, structure_ids: Collection[uuid.UUID],
                         version: int | None) -> list[ActivityBrief]:
        """The activities of these structures (by start time and name), as of `version`."""
        return await self._read("activities", structure_ids, version, store.activities_of_structures)


CATALOG = CatalogCache()  # the process's cache (each replica keeps its own; the version keeps them true)
