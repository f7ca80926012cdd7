"""Who may see or change what in the family dossier, in one place. Every handler of
services/dossier/api.py asks here; nothing else decides.

- A family (parent account) reads and writes its own sheets, documents and contacts, and downloads its
  archive.
- Staff read and review the sheets of the families of the structures they work for: a child's sheets
  when they manage the child's structure (or the structure the sheet is for), the family's own sheets
  when they manage the structure of one of its children. They see a sheet only once the family has
  transmitted it (then reviewed), never while it is being filled in or in draft: until then it is
  the family's. Documents follow their sheet.
- An administrator does what staff do, for every structure (drafts stay the family's for them too),
  opens campaigns and reads the audit of health-data reads.
- Every read of health data (health sheets and health documents) by someone other than the family is
  audited (ADR 0004): `audited` says when.

The decisions are plain functions of the identity and the facts (unit-tested with plain identities);
the `require_*` helpers fetch the facts they need and refuse with a French 4xx (404 for what the
person may not even know exists)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from aiohttp import web

from kit.identity import Identity

STAFF = ("staff", "admin")
# the states a sheet is in once the family has transmitted it (see domain/states.py)
SHARED_STATES = frozenset({"transmise", "validee", "refusee"})

NOT_A_FAMILY = "Cet espace est réservé aux familles."
NO_FAMILY = "Compte sans famille."
NOT_STAFF = "Vous n'avez pas accès à cette ressource."
NOT_ADMIN = "Réservé aux administrateurs du portail."
SIGN_IN = "Connectez-vous pour accéder au dossier."
SHEET_NOT_FOUND = "Fiche introuvable."
DOCUMENT_NOT_FOUND = "Pièce introuvable."


# -- decisions ----------------------------------------------------------------------------------------------
def is_family(who: Identity) -> bool:
    return who.role == "parent" and who.family_id is not None


def owns(who: Identity, family_id: uuid.UUID | None) -> bool:
    return is_family(who) and family_id is not None and family_id == who.family_id


def manages_any(who: Identity, structures: Collection[uuid.UUID]) -> bool:
    """Staff work for one of these structures; an administrator for all."""
    if who.role == "admin":
        return True
    return who.role == "staff" and bool(set(structures) & set(who.structures))


def may_read_sheet(who: Identity, family_id: uuid.UUID, state: str, structures: Collection[uuid.UUID]) -> bool:
    """The family its own sheets in any state; staff (and admin) a transmitted or reviewed sheet of a
    family of their structures, never a draft."""
    if who.role == "parent":
        return owns(who, family_id)
    return state in SHARED_STATES and manages_any(who, structures)


def may_review_sheet(who: Identity, family_id: uuid.UUID, state: str, structures: Collection[uuid.UUID]) -> bool:
    """Staff review what they may read (whether the sheet is waiting for a review is the states' rule)."""
    return who.role in STAFF and may_read_sheet(who, family_id, state, structures)


def audited(who: Identity, is_health_data: bool) -> bool:
    """A read of health data by anyone but the family is written to health_reads."""
    return is_health_data and who.role != "parent"


# -- the same, as checks that refuse in French ------------------------------------------------------------------
def require_family(who: Identity) -> uuid.UUID:
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


def require_signed_in(who: Identity) -> Identity:
    if who.role not in ("parent", *STAFF):
        raise web.HTTPForbidden(text=SIGN_IN)
    return who


async def sheet_structures(conn, sheet) -> set[uuid.UUID]:
    """The structures a sheet is about: its child's (and the one it is for, e.g. a règlement
    intérieur), or for a family's own sheet the structures of all its children."""
    if sheet["child_id"] is not None:
        found = {await conn.fetchval("SELECT structure_id FROM children WHERE id = $1", sheet["child_id"])}
    else:
        found = {r["structure_id"] for r in await conn.fetch(
            "SELECT structure_id FROM children WHERE family_id = $1", sheet["family_id"])}
    if sheet["structure_id"] is not None:
        found.add(sheet["structure_id"])
    return {s for s in found if s is not None}


async def require_own_sheet(conn, who: Identity, sheet_id: uuid.UUID, lock: bool = False):
    """The family's own sheet (any state)."""
    require_family(who)
    row = await conn.fetchrow("SELECT * FROM sheets WHERE id = $1" + (" FOR UPDATE" if lock else ""), sheet_id)
    if row is None or not owns(who, row["family_id"]):
        raise web.HTTPNotFound(text=SHEET_NOT_FOUND)
    return row


async def require_staff_sheet(conn, who: Identity, sheet_id: uuid.UUID, lock: bool = False, review: bool = False):
    """A sheet staff may read (or review): transmitted or reviewed, of a family of their structures."""
    require_staff(who)
    row = await conn.fetchrow("SELECT * FROM sheets WHERE id = $1" + (" FOR UPDATE" if lock else ""), sheet_id)
    if row is None:
        raise web.HTTPNotFound(text=SHEET_NOT_FOUND)
    decide = may_review_sheet if review else may_read_sheet
    if not decide(who, row["family_id"], row["state"], await sheet_structures(conn, row)):
        raise web.HTTPNotFound(text=SHEET_NOT_FOUND)
    return row


async def require_document(conn, who: Identity, document_id: uuid.UUID, lock: bool = False):
    """A document: the family's own, or for staff one of a sheet they may read. Returns the document row
    with its sheet's state (`state`) and child (`child_id`)."""
    require_signed_in(who)
    row = await conn.fetchrow(
        "SELECT d.*, s.state, s.child_id, s.structure_id AS sheet_structure_id FROM documents d "
        "JOIN sheets s ON s.id = d.sheet_id WHERE d.id = $1" + (" FOR UPDATE OF d" if lock else ""), document_id)
    if row is None:
        raise web.HTTPNotFound(text=DOCUMENT_NOT_FOUND)
    if who.role == "parent":
        allowed = owns(who, row["family_id"])
    else:
        sheet = {"child_id": row["child_id"], "family_id": row["family_id"], "structure_id": row["sheet_structure_id"]}
        allowed = may_read_sheet(who, row["family_id"], row["state"], await sheet_structures(conn, sheet))
    if not allowed:
        raise web.HTTPNotFound(text=DOCUMENT_NOT_FOUND)
    return row


def require_own_document(who: Identity, document) -> None:
    require_family(who)
    if not owns(who, document["family_id"]):
        raise web.HTTPNotFound(text=DOCUMENT_NOT_FOUND)
