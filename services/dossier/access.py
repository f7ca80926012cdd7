"""Who may see or change what in the family dossier, in one place. Every transaction script of
services/dossier/service/ asks here; nothing else decides.

- A family (parent account) reads and writes its own sheets, documents and contacts, and downloads its
  archive.
- Staff read and review the sheets of the families of the structures they work for: a child's sheets
  when they manage the child's structure (or the structure the sheet is for), the family's own sheets
  when they manage the structure of one of its children. They see a sheet only once the family has
  transmitted it (then reviewed), never while it is being filled in or in draft: until then it is
  the family's. Documents follow their sheet.
- An administrator does what staff do, for every structure (drafts stay the family's for them too),
  opens campaigns and reads the audit of health-data reads.
- Staff (and administrators) read the roster flags of the children of a structure they manage
  (services/dossier/service/roster.py), never those of another structure's children.
- Staff follow the campaign of a structure they manage (how far its families have got), remind its
  families that have not started, and publish its règlement intérieur; an administrator for every
  structure. A parent reads the règlement of the structures of its own règlement sheets.
- Every read of health data (health sheets and health documents) by someone other than the family is
  audited (ADR 0004): `audited` says when.

The decisions are plain functions of the identity and the facts (unit-tested with plain identities);
the `require_*` checks take the facts the service layer read from the store and refuse with a French
Forbidden (403) or NotFound (404, for what the person may not even know exists)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from contracts.errors import Forbidden, NotFound
from kit.identity import Identity
from services.dossier.domain.states import SheetState

STAFF = ("staff", "admin")
# the states a sheet is in once the family has transmitted it
SHARED_STATES = frozenset({SheetState.SUBMITTED, SheetState.APPROVED, SheetState.REFUSED})

NOT_A_FAMILY = "Cet espace est réservé aux familles."
NO_FAMILY = "Compte sans famille."
NOT_STAFF = "Vous n'avez pas accès à cette ressource."
NOT_ADMIN = "Réservé aux administrateurs du portail."
SIGN_IN = "Connectez-vous pour accéder au dossier."
SHEET_NOT_FOUND = "Fiche introuvable."
DOCUMENT_NOT_FOUND = "Pièce introuvable."
HOUSE_RULES_NOT_FOUND = "Règlement intérieur introuvable."
NOT_YOUR_STRUCTURE = "Vous ne gérez pas cette structure."


# -- decisions ----------------------------------------------------------------------------------------------
def is_family(who: Identity) -> bool:
    return who.role == "parent" and who.family_id is not None


def owns(who: Identity, family_id: uuid.UUID | None | Collection[uuid.UUID]) -> bool:
    """The family's own (a shared child's sheet and documents: each of the child's households')."""
    if not is_family(who) or family_id is None:
        return False
    if isinstance(family_id, uuid.UUID):
        return family_id == who.family_id
    return who.family_id in family_id


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


def require_signed_in(who: Identity) -> Identity:
    if who.role not in ("parent", *STAFF):
        raise Forbidden(SIGN_IN)
    return who


def require_roster(who: Identity, structure_id: uuid.UUID) -> None:
    """A roster's flags (and the day summary) are for staff of the structure, administrators."""
    require_staff(who)
    if not manages_any(who, {structure_id}):
        raise Forbidden(NOT_YOUR_STRUCTURE)


def require_structure_staff(who: Identity, structure_id: uuid.UUID) -> None:
    """The campaign's follow-up, the reminders and the règlement of a structure: its staff, administrators."""
    require_staff(who)
    if not manages_any(who, {structure_id}):
        raise Forbidden(NOT_STAFF)


def require_house_rules(who: Identity, structure_id: uuid.UUID, own_rules_structures: Collection[uuid.UUID]) -> None:
    """A règlement's file: staff of its structure (administrators), or a family with a règlement sheet for
    that structure (`own_rules_structures`); anyone else is told it does not exist."""
    allowed = structure_id in own_rules_structures if who.role == "parent" else (
        who.role in STAFF and manages_any(who, {structure_id}))
    if not allowed:
        raise NotFound(HOUSE_RULES_NOT_FOUND)


def sheet_structures(children_structures: Collection[uuid.UUID], sheet_structure: uuid.UUID | None) -> set[uuid.UUID]:
    """The structures a sheet is about: its child's (or for a family's own sheet those of all its
    children), and the one it is for (e.g. a règlement intérieur)."""
    found = set(children_structures)
    if sheet_structure is not None:
        found.add(sheet_structure)
    return found


def require_own_sheet(who: Identity, family_id: uuid.UUID | None | Collection[uuid.UUID]) -> None:
    """The family's own sheet (any state); `family_id` is the sheet's, None when there is no such sheet."""
    require_family(who)
    if not owns(who, family_id):
        raise NotFound(SHEET_NOT_FOUND)


def require_staff_sheet(who: Identity, family_id: uuid.UUID, state: str, structures: Collection[uuid.UUID],
                        review: bool = False) -> None:
    """A sheet staff may read (or review): transmitted or reviewed, of a family of their structures."""
    decide = may_review_sheet if review else may_read_sheet
    if not decide(who, family_id, state, structures):
        raise NotFound(SHEET_NOT_FOUND)


def require_document(who: Identity, family_id: uuid.UUID, state: str, structures: Collection[uuid.UUID],
                     households: Collection[uuid.UUID] = ()) -> None:
    """A document: the family's own, or for staff one of a sheet they may read (`state` and
    `structures` are its sheet's)."""
    allowed = (owns(who, {family_id, *households}) if who.role == "parent"
               else may_read_sheet(who, family_id, state, structures))
    if not allowed:
        raise NotFound(DOCUMENT_NOT_FOUND)


def require_own_document(who: Identity, family_id: uuid.UUID | Collection[uuid.UUID]) -> None:
    require_family(who)
    if not owns(who, family_id):
        raise NotFound(DOCUMENT_NOT_FOUND)


# -- a family's page (staff): the state of its sheets, never their content; its address ------------------------
def may_see_sheet_state(who: Identity, structures: Collection[uuid.UUID]) -> bool:
    """Staff see the state (not the content) of every sheet about their structures, a draft's too: "À
    remplir" or "Brouillon" tells them what the family still has to do."""
    return who.role in STAFF and manages_any(who, structures)


def address_scope(who: Identity) -> list[uuid.UUID] | None:
    """The structures whose families staff may find by address (theirs; an administrator all: None). The
    address is read from a transmitted or reviewed family sheet only, never a draft."""
    require_staff(who)
    return None if who.role == "admin" else list(who.structures)


# -- medical certificates of declared absences (issue 19) --------------------------------------------------------
CERTIFICATE_NOT_FOUND = "Certificat introuvable."


def require_certificate(who: Identity, family_id: uuid.UUID, child_structure: uuid.UUID | None,
                        expected_family: uuid.UUID | None) -> None:
    """A medical certificate: the family's own, or for staff one of a child of their structures (and, when the
    caller names the family of the absence it justifies, of that family only)."""
    allowed = owns(who, family_id) if who.role == "parent" else (
        who.role in STAFF and child_structure is not None and manages_any(who, {child_structure}))
    if not allowed or (expected_family is not None and expected_family != family_id):
        raise NotFound(CERTIFICATE_NOT_FOUND)
