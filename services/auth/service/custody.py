"""Shared custody (garde alternée): staff of the child's structure make another family of their structures
the child's second household, named by its identifiant (never by an internal id). Both families' whole
state is published again (auth.family_changed), so booking, billing, dossier and notify learn the child's
two households."""

from __future__ import annotations

import uuid

from contracts.errors import NotFound
from kit.identity import Identity
from kit.outbox import Producer
from services.auth import access
from services.auth.domain.custody import households, link_refusal
from services.auth.service import Refused
from services.auth.service import facts as publish

CHILD_NOT_FOUND = "Enfant introuvable."


async def link_second_household(store, producer: Producer, who: Identity, family_id: uuid.UUID,
                                child_id: uuid.UUID, identifiant: str) -> dict:
    """The child (of `family_id`, in a structure the caller manages) gets the family `identifiant` as its
    second household; linking the same household again changes nothing. The child's households."""
    access.staff(who)
    identifiant = identifiant.strip()
    async with store.transaction() as conn:
        child = await store.child_home(conn, child_id, lock=True)
        if child is None or child.family_id != family_id or not who.may_manage_structure(child.structure_id):
            raise NotFound(CHILD_NOT_FOUND)
        second = await store.family_by_identifiant(conn, identifiant) if identifiant else None
        # a family of another structure does not exist for this staff member
        if second is None or not who.may_manage_structure(second.structure_id):
            raise Refused(422, "Foyer introuvable",
                          f"Aucune famille « {identifiant} » dans vos structures." if identifiant
                          else "Identifiant du second foyer : à renseigner.")
        current = households(child.family_id, child.second_family_id)
        refusal = link_refusal(child.family_id, second.id, current)
        if refusal is not None:
            raise Refused(409, "Conflit", refusal)
        if await store.link_household(conn, child_id, second.id, _account(who)):
            await publish.family_changed(conn, store, producer, child.family_id)
            await publish.family_changed(conn, store, producer, second.id)
    return {"child_id": str(child_id), "households": [str(f) for f in households(child.family_id, second.id)]}


def _account(who: Identity) -> uuid.UUID | None:
    try:
        return uuid.UUID(who.subject)
    except ValueError:
        return None
