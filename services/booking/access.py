"""Who may see or change what in booking, in one place. Every transaction script of services/booking/service
asks here; nothing else decides (no access rule hides in a query's parameters).

- A family (parent account) sees and books for its own children only.
- Staff manage the activities, sessions, requests and enrolments of the structures they work for;
  they enrol only children of families that belong to the activity's structure.
- An administrator manages every structure.
- The iCal feed is read with its secret link, by anyone who has it.

The decisions are plain functions of the identity and the facts (unit-tested with plain identities);
the `require_*` helpers fetch the facts they need from the store and refuse in French
(contracts.errors: 403, 404 for what one may not even know exists, 422)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from contracts.errors import Forbidden, Invalid, NotFound
from kit.identity import Identity

STAFF = ("staff", "admin")

NOT_A_FAMILY = "Cet espace est réservé aux familles."
NO_FAMILY = "Compte sans famille."
NOT_STAFF = "Vous n'avez pas accès à cette ressource."
NOT_YOUR_STRUCTURE = "Vous ne gérez pas cette structure."
NOT_ADMIN = "Réservé aux administrateurs du portail."
CHILD_NOT_FOUND = "Enfant introuvable."
ACTIVITY_NOT_FOUND = "Activité introuvable."
SESSION_NOT_FOUND = "Séance introuvable."
REQUEST_NOT_FOUND = "Demande introuvable."
NOT_IN_STRUCTURE = ("Cet enfant n'appartient pas à une famille de la structure de cette activité : "
                    "il ne peut pas y être inscrit.")


# -- decisions ----------------------------------------------------------------------------------------------
def is_family(who: Identity) -> bool:
    return who.role == "parent" and who.family_id is not None


def owns_child(who: Identity, child_family_id: uuid.UUID | None | Collection[uuid.UUID]) -> bool:
    """A family acts for its own children only (a child in shared custody: each of its two households)."""
    if not is_family(who) or child_family_id is None:
        return False
    if isinstance(child_family_id, uuid.UUID):
        return child_family_id == who.family_id
    return who.family_id in child_family_id


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
        raise Forbidden(NOT_A_FAMILY)
    if who.family_id is None:
        raise Forbidden(NO_FAMILY)
    return who.family_id


def require_staff(who: Identity) -> Identity:
    if who.role not in STAFF:
        raise Forbidden(NOT_STAFF)
    return who


def require_admin(who: Identity) -> Identity:
    if who.role != "admin":
        raise Forbidden(NOT_ADMIN)
    return who


def require_manages(who: Identity, structure_id: uuid.UUID) -> None:
    require_staff(who)
    if not manages(who, structure_id):
        raise Forbidden(NOT_YOUR_STRUCTURE)


async def require_own_children(store, who: Identity, child_ids: Collection[uuid.UUID],
                               lock: bool = False) -> uuid.UUID:
    """Every child named belongs to the signed-in family (404 otherwise: another family's child is not
    even said to exist). The family's id. With `lock`, the children's rows stay locked until the end of the
    transaction."""
    family_id = require_family(who)
    wanted = set(child_ids)
    if wanted:
        found = await (store.lock_children(wanted) if lock else store.children_by_id(wanted))
        if any(not owns_child(who, found[c].households if c in found else None) for c in wanted):
            raise NotFound(CHILD_NOT_FOUND)
    return family_id


def require_listed_child(who: Identity, child_id: uuid.UUID, family_children: Collection[uuid.UUID]) -> None:
    """The child is among the children the store listed for the signed-in family (the households that
    owns_child accepts), read with its data in one statement; 404 otherwise, as require_own_children."""
    require_family(who)
    if child_id not in family_children:
        raise NotFound(CHILD_NOT_FOUND)


async def require_activity(store, who: Identity, activity_id: uuid.UUID | None) -> uuid.UUID:
    """The activity's structure, which the staff member must manage."""
    require_staff(who)
    structure_id = await store.activity_structure(activity_id) if activity_id is not None else None
    if structure_id is None:
        raise NotFound(ACTIVITY_NOT_FOUND)
    require_manages(who, structure_id)
    return structure_id


async def require_session(store, who: Identity, session_id: uuid.UUID | None) -> uuid.UUID:
    require_staff(who)
    structure_id = await store.session_structure(session_id) if session_id is not None else None
    if structure_id is None:
        raise NotFound(SESSION_NOT_FOUND)
    require_manages(who, structure_id)
    return structure_id


async def require_enrolment(store, who: Identity, child_id: uuid.UUID, activity_id: uuid.UUID) -> None:
    """Staff of the activity's structure enrol a child whose family belongs to that structure."""
    structure_id = await require_activity(store, who, activity_id)
    child = (await store.children_by_id([child_id])).get(child_id)
    if child is None:
        raise NotFound(CHILD_NOT_FOUND)
    if not may_enrol(who, structure_id, await store.family_structures(child.family_id)):
        raise Invalid(NOT_IN_STRUCTURE)


def require_decision(who: Identity, request_structure: uuid.UUID | None) -> None:
    """Staff answer the requests of their structures; another structure's request is not found."""
    require_staff(who)
    if not manages(who, request_structure):
        raise NotFound(REQUEST_NOT_FOUND)


def family_bookings_scope(who: Identity, family_structures: Collection[uuid.UUID]) -> list[uuid.UUID] | None:
    """Staff see a family's bookings (from its page) in the activities of their structures, when the family
    belongs to one of them (NotFound otherwise); an administrator every booking (None: no filter)."""
    require_staff(who)
    if who.role == "admin":
        return None
    if not set(family_structures) & set(who.structures):
        raise NotFound("Famille introuvable.")
    return list(who.structures)


# -- declared absences (issue 19) -------------------------------------------------------------------------------
ABSENCE_NOT_FOUND = "Absence introuvable."


def require_absence_reader(who: Identity, family_id: uuid.UUID, structure_id: uuid.UUID) -> None:
    """An absence is seen by its family and by the staff of its structure; to anyone else it does not exist."""
    if not (owns_child(who, family_id) or manages(who, structure_id)):
        raise NotFound(ABSENCE_NOT_FOUND)


def require_absence_answerer(who: Identity, structure_id: uuid.UUID) -> None:
    """Staff of the absence's structure (or an administrator) answer it; for others it does not exist."""
    require_staff(who)
    if not manages(who, structure_id):
        raise NotFound(ABSENCE_NOT_FOUND)
