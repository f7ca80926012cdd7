"""Staff find a family: a search of the families of a structure (by identifiant, name, e-mail address, or
the address dossier matched), a page at a time; the family as its page shows it; families named by id
(e.g. the recipients of failed mails) as far as the caller may see them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from contracts.errors import NotFound
from kit.identity import Identity
from services.auth import access
from services.auth.domain import family_search as rule
from services.auth.store.family_search import FamilySummary

MAX_ADDRESS_MATCHES = 500
MAX_LOOKUP = 200


@dataclass(frozen=True)
class SearchAnswer:
    families: list[FamilySummary]
    pages: rule.Pages
    query: str


@dataclass(frozen=True)
class StaffFamily:
    family: FamilySummary
    structures: dict[uuid.UUID, str]  # the family's own structure and its children's, by name
    children: list  # the store's ChildRow, eldest first
    households: dict[uuid.UUID, str] | None = None  # shared custody: the children's households' identifiants


async def search(store, who: Identity, structure_id: uuid.UUID | None, query: str | None, page: str | int | None,
                 address_matches: list[uuid.UUID] = ()) -> SearchAnswer:
    """The page of families of the structure matching the query (every family without one)."""
    structures = access.search_scope(who, structure_id)
    words = rule.query_words(query)
    number = rule.page_number(page)
    also = list(address_matches)[:MAX_ADDRESS_MATCHES] if words else []
    async with store.connection() as conn:
        pages = rule.Pages(number, 0)
        total, found = await store.search_families(conn, structures, words, also, pages.size, pages.offset)
        pages = rule.Pages(number, total)
        if pages.within() != pages:  # past the last page (the list got shorter): the last one
            pages = pages.within()
            total, found = await store.search_families(conn, structures, words, also, pages.size, pages.offset)
    return SearchAnswer(found, pages, " ".join(words))


async def staff_family(store, who: Identity, family_id: uuid.UUID) -> StaffFamily:
    """A family of the caller's structures (its own or a child's), with its structures' names; NotFound
    for any other."""
    access.staff(who)
    async with store.connection() as conn:
        structures = await store.family_structures(conn, family_id)
        if not structures or not access.may_see_family(who, family_id, structures):
            raise NotFound("Famille introuvable.")
        [family] = await store.family_summaries(conn, [family_id])
        names = {s.id: s.name for s in await store.all_structures(conn) if s.id in structures}
        children = await store.children(conn, family_id)
        households = await store.identifiants(conn, {f for c in children for f in c.households})
    return StaffFamily(family, names, children, households)


async def lookup(store, who: Identity, family_ids: list[uuid.UUID]) -> list[FamilySummary]:
    """Of these families, those the caller may see (in the order given)."""
    scope = access.lookup_scope(who)
    async with store.connection() as conn:
        kept = await store.families_in_scope(conn, scope, list(dict.fromkeys(family_ids))[:MAX_LOOKUP])
        return await store.family_summaries(conn, kept)
