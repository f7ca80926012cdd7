"""Who may see what in notify, in one place. Every handler of services/notify/http.py asks here.

- Staff see the mail deliveries of the structures they work for: a delivery records the structure it
  is about when one is known (the digest of a structure, a waiting-list promotion, a payment ticket,
  the review of a child's sheet). A delivery about no structure (a password reset, an account mail, a
  family's own sheet) is seen by administrators only: staff see nothing of it.
- Staff see the morning digest's status of their structures (not run it).
- An administrator sees every delivery and may run the digest now.
- Families see nothing here: their mails are in their mailbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from contracts.errors import Forbidden
from kit.identity import Identity

NOT_STAFF = "Vous n'avez pas accès au journal des envois."
NOT_ADMIN = "Réservé aux administrateurs du portail."
NOT_YOUR_STRUCTURE = "Vous ne gérez pas cette structure."


@dataclass(frozen=True)
class DeliveryScope:
    """Which deliveries someone sees: every one, or those of these structures (none without one)."""

    everything: bool
    structures: frozenset[uuid.UUID] = frozenset()


def may_see_delivery(who: Identity, structure_id: uuid.UUID | None) -> bool:
    if who.role == "admin":
        return True
    return who.role == "staff" and structure_id is not None and structure_id in who.structures


def delivery_scope(who: Identity) -> DeliveryScope:
    """The same rule, for a list: staff get their structures, an administrator everything."""
    if who.role == "admin":
        return DeliveryScope(everything=True)
    if who.role == "staff":
        return DeliveryScope(everything=False, structures=frozenset(who.structures))
    raise Forbidden(NOT_STAFF)


def require_structure(who: Identity, structure_id: uuid.UUID) -> Identity:
    """The digest's status of a structure: its staff, administrators."""
    if who.role == "admin" or (who.role == "staff" and structure_id in who.structures):
        return who
    raise Forbidden(NOT_YOUR_STRUCTURE)


def require_admin(who: Identity) -> Identity:
    if who.role != "admin":
        raise Forbidden(NOT_ADMIN)
    return who


NOT_A_FAMILY = "Réservé aux familles."


def require_family(who: Identity) -> uuid.UUID:
    """A family's own preferences (the automatic reminders): its parents only."""
    if who.role != "parent" or who.family_id is None:
        raise Forbidden(NOT_A_FAMILY)
    return who.family_id
