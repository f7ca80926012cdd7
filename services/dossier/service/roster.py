"""The staff's rosters (listes de présence) and day summary: for children of a structure they manage, only
the flags a roster needs (domain/roster.py), never the sheets themselves. Showing a child's flags reads its
health sheets: each read is written to health_reads as a staff read of the sheet is (ADR 0004). The day
summary answers counts only, no child's flags, and is not a read of anyone's health data."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from kit.identity import Identity
from services.dossier import access
from services.dossier.domain import roster as rules
from services.dossier.domain.sheets import HEALTH_KINDS, SheetKind
from services.dossier.store import Store, Tx

MAX_CHILDREN = 2000  # a day of a large town's canteens


class RosterIn(BaseModel):
    structure_id: uuid.UUID
    child_ids: list[uuid.UUID] = Field(max_length=MAX_CHILDREN)


class GroupIn(BaseModel):
    key: str = Field(max_length=100)
    serves_meal: bool = False
    child_ids: list[uuid.UUID] = Field(max_length=MAX_CHILDREN)


class SummaryIn(BaseModel):
    structure_id: uuid.UUID
    groups: list[GroupIn] = Field(max_length=200)


async def _flags(tx: Tx, who: Identity, structure_id: uuid.UUID, child_ids: list[uuid.UUID],
                 audit: bool) -> dict[uuid.UUID, rules.RosterFlags]:
    """The flags of the children asked about that belong to `structure_id`, which the person must manage;
    any other child is left out, as if unknown (staff never learn another structure's children)."""
    access.require_roster(who, structure_id)
    children = [c for c in await tx.children_by_id(set(child_ids)) if c.structure_id == structure_id]
    if not children:
        return {}
    sheets = await tx.latest_shared_sheets([c.id for c in children], rules.ROSTER_KINDS)
    by_child: dict[uuid.UUID, dict[SheetKind, dict]] = {}
    for sheet in sheets:
        if sheet.child_id is None:
            continue
        by_child.setdefault(sheet.child_id, {})[sheet.kind] = sheet.data
        if audit and access.audited(who, sheet.kind in HEALTH_KINDS):  # who read which child's health data
            await tx.record_health_read(who.subject, sheet.child_id, sheet.id)
    named = {link.get("contact_id") for data in by_child.values()
             for link in (data.get(SheetKind.CONTACTS) or {}).get("links", []) if isinstance(link, dict)}
    contact_ids = set()
    for raw in named:
        try:
            contact_ids.add(uuid.UUID(str(raw)))
        except ValueError:
            continue
    families = {c.id: c.family_id for c in children}
    contacts = {c.id: (f"{c.first_name} {c.last_name}".strip(), c.phone)
                for c in await tx.contacts_by_id(contact_ids) if c.family_id in set(families.values())}
    return {c.id: rules.flags_of(c.id, by_child.get(c.id, {}), contacts) for c in children}


async def roster_flags(store: Store, who: Identity, body: RosterIn) -> list[rules.RosterFlags]:
    """The roster's flags of each child asked about (of the structure), the health reads audited."""
    async with store.transaction() as tx:
        found = await _flags(tx, who, body.structure_id, body.child_ids, audit=True)
    return [found[c] for c in dict.fromkeys(body.child_ids) if c in found]


async def day_summary(store: Store, who: Identity, body: SummaryIn) -> rules.DayCount:
    """The day's counts across the structure's activities (meals, « sans porc », vegetarian, PAI)."""
    wanted = list({c for g in body.groups for c in g.child_ids})
    async with store.connection() as tx:
        found = await _flags(tx, who, body.structure_id, wanted, audit=False)
    return rules.summarise([rules.GroupIn(g.key, g.serves_meal, g.child_ids) for g in body.groups], found)
