"""Who may do what in auth, in one place; every handler of services/auth/http asks here first.

- Anyone, signed in or not: the structures and their news (the home page), the legal texts, the
  password rules.
- Only someone not signed in: sign-in, resolving a session token, the password reset requests.
- A signed-in session (any role): signing out, choosing a structure, its own password, consents and
  addresses.
- Staff: the news of the structures they work for; creating and importing families of those structures;
  a family whose own structure or a child's structure is theirs (seeing it, asking for a security update).
  Reusing the identifiant of another structure's family reaches nothing (see service/families.py).
- A family: its own family only (another family's does not exist for it).
- An administrator: everything above, plus creating structures and staff accounts and publishing the
  legal texts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from contracts.errors import Forbidden
from kit.identity import Identity

SIGNED_IN = ("parent", "staff", "admin")
ANYONE = ("anonymous", *SIGNED_IN)
STAFF = ("staff", "admin")
NO_ACCESS = "Vous n'avez pas accès à cette ressource."
NOT_YOUR_STRUCTURE = "Vous ne gérez pas cette structure."


def require(who: Identity, *roles: str) -> Identity:
    if who.role not in roles:
        raise Forbidden(NO_ACCESS)
    return who


def anyone(who: Identity) -> Identity:
    return require(who, *ANYONE)


def anonymous(who: Identity) -> Identity:
    return require(who, "anonymous")


def staff(who: Identity) -> Identity:
    return require(who, *STAFF)


def admin(who: Identity) -> Identity:
    return require(who, "admin")


def session_of(who: Identity) -> tuple[uuid.UUID, uuid.UUID]:
    """The account and the session of a signed-in caller (the session itself, not a service identity)."""
    require(who, *SIGNED_IN)
    if who.session_id is None:
        raise Forbidden("Cette action demande une session ouverte.")
    return uuid.UUID(who.subject), who.session_id


def manage_structures(who: Identity, structure_ids: Iterable[uuid.UUID]) -> None:
    """Staff change only the structures they work for (an administrator all)."""
    if not all(who.may_manage_structure(s) for s in structure_ids):
        raise Forbidden(NOT_YOUR_STRUCTURE)


def managed(who: Identity, structures: Mapping[str, uuid.UUID]) -> dict[str, uuid.UUID]:
    """Of these structures (by name), those the caller manages: the names an import may use."""
    return {name: sid for name, sid in structures.items() if who.may_manage_structure(sid)}


def may_see_family(who: Identity, family_id: uuid.UUID, structures: set[uuid.UUID]) -> bool:
    """The family itself, an administrator, or staff of its own structure or of one of its children's."""
    return who.may_see_family(family_id) or (who.role == "staff" and any(who.may_manage_structure(s)
                                                                         for s in structures))


def may_flag_family(who: Identity, structures: set[uuid.UUID]) -> bool:
    """Staff of the family's structure or of a child's (an administrator any) ask for a security update."""
    return any(who.may_manage_structure(s) for s in structures)


def search_scope(who: Identity, structure_id: uuid.UUID | None) -> list[uuid.UUID] | None:
    """The structures whose families a search lists: the one asked for, which staff must work for; an
    administrator's search without one lists every structure's (None)."""
    staff(who)
    if structure_id is None:
        if who.role != "admin":
            raise Forbidden(NOT_YOUR_STRUCTURE)
        return None
    manage_structures(who, [structure_id])
    return [structure_id]


def lookup_scope(who: Identity) -> list[uuid.UUID] | None:
    """The structures whose families staff may name by id (theirs; an administrator every one: None)."""
    staff(who)
    return None if who.role == "admin" else list(who.structures)
