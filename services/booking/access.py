"""Who may see or change what in booking, in one place. Every handler of services/booking/api.py asks
here; nothing else decides.

- A family (parent account) sees and books for its own children only.
- Staff manage the activities, sessions, requests and enrolments of the structures they work for;
  they enrol only children of families that belong to the activity's structure.
- An administrator manages every structure.
- The iCal feed is read with its secret link, by anyone who has it.

The decisions are plain functions of the identity and the facts (unit-tested with plain identities);
the `require_*` helpers fetch the facts they need and refuse with a French 4xx."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from aiohttp import web

from kit.identity import Identity

STAFF = ("staff", "admin")

NOT_A_FAMILY = "Cet espace est réservé aux familles."
NO_FAMILY = "Compte sans famille."
NOT_STAFF = "Vous n'avez pas accès à cette ressource."
NOT_YOUR_STRUCTURE = "Vous ne gérez pas cette structure."
NOT_ADMIN = "Réservé aux administrateurs du portail."
CHILD_NOT_FOUND = "Enfant introuvable."
ACTIVITY_NOT_FOUND = "Activité introuvable."
NOT_IN_STRUCTURE = ("Cet enfant n'appartient pas à une famille de la structure de cette activité : "
                    "il ne peut pas y être inscrit.")


# -- decisions ----------------------------------------------------------------------------------------------
def is_family(who: Identity) -> bool:
    return who.role == "parent" and who.family_id is not None


def owns_child(who: Identity, child_family_id: uuid.UUID | None) -> bool:
    """A family acts for its own children only."""
    return is_family(who) and child_family_id is not None and child_family_id == who.family_id


def manages(who: Identity, structure_id: uuid.UUID | None) -> bool:
    """Staff manage the structures they work for; an administrator manages all."""
    if structure_id is None:
        return False
    return who.role == "admin" or (who.role == "staff" and structure_id in who.structures)


def may_enrol(who: Identity, activity_structure: uuid.UUID, family_structures: Collection[uuid.UUID]) -> bool:
    """A child may be enrolled in an activity by who manages its structure, and only when the child's
    family belongs to that structure."""
    return manages(who, activity_structure) and activity_structure in family_structures


# -- the same, as checks that refuse in French ------------------------------------------------------------------
def require_family(who: Identity) -> uuid.UUID:
    """The signed-in family's id."""
    if who.role != "parent":
        raise web.HTTPForbidden(text=NOT_A_FAMILY)
    if who.family_id is None:
        raise web.HTTPForbidden(text=NO_FAMILY)
    return who.family_id


def require_staff(who: Identity) -> Identity:
    if who.role not in STAFF:
        raise web.HTTPForbidden(text=NOT_STAFF)
    return who


def require_admin(who: Identity) -> Identity:
    if who.role != "admin":
        raise web.HTTPForbidden(text=NOT_ADMIN)
    return who


def require_manages(who: Identity, structure_id: uuid.UUID) -> None:
    require_staff(who)
    if not manages(who, structure_id):
        raise web.HTTPForbidden(text=NOT_YOUR_STRUCTURE)


async def require_own_children(conn, who: Identity, child_ids: Collection[uuid.UUID]) -> None:
    """Every child named belongs to the signed-in family (404 otherwise: another family's child is not
    even said to exist)."""
    require_family(who)
    wanted = set(child_ids)
    if not wanted:
        return
    rows = await conn.fetch("SELECT id, family_id FROM children WHERE id = ANY($1::uuid[])", list(wanted))
    found = {r["id"]: r["family_id"] for r in rows}
    if any(not owns_child(who, found.get(child_id)) for child_id in wanted):
        raise web.HTTPNotFound(text=CHILD_NOT_FOUND)


async def require_activity(conn, who: Identity, activity_id: uuid.UUID | None) -> uuid.UUID:
    """The activity's structure, which the staff member must manage."""
    require_staff(who)
    structure_id = None
    if activity_id is not None:
        structure_id = await conn.fetchval("SELECT structure_id FROM activities WHERE id = $1", activity_id)
    if structure_id is None:
        raise web.HTTPNotFound(text=ACTIVITY_NOT_FOUND)
    require_manages(who, structure_id)
    return structure_id


async def require_session(conn, who: Identity, session_id: uuid.UUID | None) -> uuid.UUID:
    require_staff(who)
    structure_id = None
    if session_id is not None:
        structure_id = await conn.fetchval(
            "SELECT a.structure_id FROM sessions s JOIN activities a ON a.id = s.activity_id WHERE s.id = $1",
            session_id)
    if structure_id is None:
        raise web.HTTPNotFound(text="Séance introuvable.")
    require_manages(who, structure_id)
    return structure_id


async def require_enrolment(conn, who: Identity, child_id: uuid.UUID, activity_id: uuid.UUID) -> None:
    """Staff of the activity's structure enrol a child whose family belongs to that structure."""
    structure_id = await require_activity(conn, who, activity_id)
    family_id = await conn.fetchval("SELECT family_id FROM children WHERE id = $1", child_id)
    if family_id is None:
        raise web.HTTPNotFound(text=CHILD_NOT_FOUND)
    family_structures = {r["structure_id"] for r in await conn.fetch(
        "SELECT structure_id FROM family_structures WHERE family_id = $1", family_id)}
    if not may_enrol(who, structure_id, family_structures):
        raise web.HTTPUnprocessableEntity(text=NOT_IN_STRUCTURE)


def require_decision(who: Identity, request_structure: uuid.UUID | None) -> None:
    """Staff answer the requests of their structures; another structure's request is not found."""
    require_staff(who)
    if not manages(who, request_structure):
        raise web.HTTPNotFound(text="Demande introuvable.")
