"""What staff see of a family's dossier from the family's page (the current campaign's sheets: each one's
state, and a link to read it once transmitted), and the families they find by their address."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from contracts.errors import NotFound
from kit.identity import Identity
from services.dossier import access
from services.dossier.store import Child, Store
from services.dossier.store.family_index import SheetLine

MAX_ADDRESS_MATCHES = 500
SHARED = sorted(s.value for s in access.SHARED_STATES)


@dataclass(frozen=True)
class FamilySheets:
    school_year: str | None
    sheets: list[tuple[SheetLine, bool]]  # each sheet with whether the caller may open it
    children: dict[uuid.UUID, Child]
    address: dict  # from the latest transmitted or reviewed family sheet: address, postal_code, city


async def family_sheets(store: Store, who: Identity, family_id: uuid.UUID) -> FamilySheets:
    """The sheets of a family of the caller's structures (NotFound for any other family)."""
    access.require_staff(who)
    async with store.connection() as tx:
        children = {c.id: c for c in await tx.children(family_id)}
        family_structures = {c.structure_id for c in children.values() if c.structure_id}
        if not access.manages_any(who, family_structures):
            raise NotFound("Famille introuvable.")
        campaign = await tx.current_campaign()
        lines = await tx.sheet_lines(campaign.id, family_id) if campaign else []
        address = await tx.family_address(family_id, SHARED)
    shown = []
    for line in lines:
        about = children[line.child_id].structure_id if line.child_id in children else None
        structures = access.sheet_structures({about} if about else family_structures, line.structure_id)
        if access.may_see_sheet_state(who, structures):
            shown.append((line, access.may_read_sheet(who, family_id, line.state, structures)))
    return FamilySheets(campaign.school_year if campaign else None, shown, children, address)


async def families_at_address(store: Store, who: Identity, text: str) -> list[uuid.UUID]:
    """The families of the caller's structures whose (transmitted) address contains `text`."""
    structures = access.address_scope(who)
    text = " ".join(text.split())
    if len(text) < 2:
        return []
    async with store.connection() as tx:
        return await tx.families_at_address(text, SHARED, structures, MAX_ADDRESS_MATCHES)
