"""Who may see or change what in billing: the one place where billing decides. The service layer
(services/billing/service/) reads the facts from the store, asks here, and keeps or queries only what it
is given back; nothing here reads the database.

- A family sees its own consumptions, invoices and payments, in every structure; never another's.
- An administrator sees every family in every structure, issues the invoices and may record a payment.
- Staff see a family only through the structures they work for: its lines, invoices and payments
  there, never those of its other structures. A family with nothing in their structures does not exist
  for them. They publish tariffs and record payments for their structures only, and a payment is
  allocated only to the invoices of its structure (services/billing/domain/payments.py).
- Nobody signed in is needed for a payment backend's notification or the return from the bank: what
  eopayment checks (signed, PAID, the amount) is the credential. A structure's backend and options are
  its staff's (or an administrator's); staff see the online transactions of their structures only.

Refusals are French: 404 where telling that something exists would already say too much, 403 where the
caller knows what they asked for (their own structure, their role).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from kit.identity import Identity
from services.billing.domain.errors import BadRequest, Forbidden, Unknown
from services.billing.domain.invoices import Invoice

STAFF_ROLES = ("staff", "admin")
NO_ACCESS = "Vous n'avez pas accès à cette ressource."
NOT_YOURS = "Vous ne gérez pas cette structure."


@dataclass(frozen=True)
class Scope:
    """What the caller may see of one family: its data in these structures, and nothing else."""

    family_id: uuid.UUID
    structures: tuple[uuid.UUID, ...]

    def covers(self, structure_id: uuid.UUID) -> bool:
        return structure_id in self.structures


def _caller(who: Identity, *roles: str) -> Identity:
    if who.role not in roles:
        raise Forbidden(NO_ACCESS)
    return who


def sees(who: Identity, family_id: uuid.UUID, structure_id: uuid.UUID) -> bool:
    """May `who` see one family's data in one structure?"""
    if who.role == "parent":
        return who.family_id is not None and who.family_id == family_id
    if who.role == "admin":
        return True
    if who.role == "staff":
        return structure_id in who.structures
    return False


# -- reading a family's account ---------------------------------------------------------------------
def family_asked(who: Identity, asked: str | None) -> uuid.UUID:
    """The family whose consumptions, invoices, payments or balance are asked for: a parent's own; staff
    and administrators name it with ?family_id=."""
    _caller(who, "parent", *STAFF_ROLES)
    if who.role == "parent":
        if who.family_id is None:
            raise Forbidden("Compte sans famille.")
        if asked and _family_uuid(asked) != who.family_id:
            raise Unknown("Famille introuvable.")
        return who.family_id
    if not asked:
        raise BadRequest("Précisez la famille (paramètre family_id).")
    return _family_uuid(asked)


def _family_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Unknown("Famille introuvable.") from None


def family_scope(who: Identity, family_id: uuid.UUID, family_structures: Iterable[uuid.UUID]) -> Scope:
    """The structures (among those the family has something in) where the caller may see it; staff for
    whom there is none are told the family does not exist."""
    structures = {s for s in family_structures if sees(who, family_id, s)}
    if who.role == "staff" and not structures:
        raise Unknown("Famille introuvable.")
    return Scope(family_id, tuple(sorted(structures, key=str)))


def invoice(who: Identity, found: Invoice | None) -> Invoice:
    """One invoice (its PDF): the family's own, or one of a structure the staff member works for."""
    _caller(who, "parent", *STAFF_ROLES)
    if found is None or not sees(who, found.family_id, found.structure_id):
        raise Unknown("Facture introuvable.")
    return found


# -- changes --------------------------------------------------------------------------------------------
def tariff_publisher(who: Identity, structure_id: uuid.UUID, activity_elsewhere: bool) -> Identity:
    """Tariffs are published by staff of the structure, or an administrator, for an activity of that
    structure: never for an activity booking has placed in another structure (its transmitted bookings
    say where it is), whose lines the tariff would price."""
    _caller(who, *STAFF_ROLES)
    if not who.may_manage_structure(structure_id):
        raise Forbidden(NOT_YOURS)
    if activity_elsewhere:
        raise Unknown("Activité introuvable dans cette structure : aucun tarif publié.")
    return who


def tariff_reader(who: Identity, structure_id: uuid.UUID) -> Identity:
    """An activity's tariff and its history are read by staff of the structure (or an administrator)."""
    _caller(who, *STAFF_ROLES)
    if not who.may_manage_structure(structure_id):
        raise Forbidden(NOT_YOURS)
    return who


def invoice_issuer(who: Identity) -> Identity:
    """Issuing the month's invoices (every family, every structure) is an administrator's job."""
    return _caller(who, "admin")


def payment_recorder(who: Identity, structure_id: uuid.UUID) -> Identity:
    """A payment received at a structure's desk: by its staff (or an administrator)."""
    _caller(who, *STAFF_ROLES)
    if not who.may_manage_structure(structure_id):
        raise Forbidden(NOT_YOURS)
    return who


def payment_family(structure_id: uuid.UUID, family_structures: Iterable[uuid.UUID]) -> None:
    """…for a family that has something in that structure. The payment then belongs to that structure only."""
    if structure_id not in set(family_structures):
        raise Unknown("Famille introuvable dans cette structure : aucun paiement enregistré.")


def payable_invoice(who: Identity, found: Invoice | None) -> Invoice:
    """An online payment is started by the family for one of its own invoices."""
    _caller(who, "parent")
    if found is None or who.family_id is None or found.family_id != who.family_id:
        raise Unknown("Facture introuvable.")
    return found


def bank_notification(who: Identity) -> Identity:
    """A payment backend's notification (server to server) or the family's return from the bank: no
    account needed; trusted only once eopayment has checked it (signed, PAID, the amount right)."""
    return who


# -- online payment (issue 19) --------------------------------------------------------------------------
def backend_configurer(who: Identity, structure_id: uuid.UUID) -> Identity:
    """A structure's payment backend and its options: set and read (secrets masked) by its staff, or an
    administrator."""
    _caller(who, *STAFF_ROLES)
    if not who.may_manage_structure(structure_id):
        raise Forbidden(NOT_YOURS)
    return who


def online_transactions_reader(who: Identity) -> tuple[uuid.UUID, ...] | None:
    """The online transactions staff see: their structures' (an administrator's: all, None)."""
    _caller(who, *STAFF_ROLES)
    return None if who.role == "admin" else tuple(who.structures)


# -- tax certificates (issue 19) -------------------------------------------------------------------------
def tax_staff(who: Identity, structure_id: uuid.UUID) -> Identity:
    """A structure's certificates (its eligible activities, its details, issuing a year, the year's list and
    their PDF in bulk): its staff, or an administrator."""
    _caller(who, *STAFF_ROLES)
    if not who.may_manage_structure(structure_id):
        raise Forbidden(NOT_YOURS)
    return who


def tax_family(who: Identity) -> uuid.UUID:
    """A family reads its own certificates, those of the years its structures issued."""
    _caller(who, "parent")
    if who.family_id is None:
        raise Forbidden("Compte sans famille.")
    return who.family_id


def tax_certificate(who: Identity, family_id: uuid.UUID | None, structure_id: uuid.UUID) -> None:
    """One child's certificate: its family's, or the staff of the structure's (or an administrator's).
    `family_id` None: no such child; told as not found."""
    _caller(who, "parent", *STAFF_ROLES)
    if family_id is None or not sees(who, family_id, structure_id):
        raise Unknown("Attestation introuvable.")


def tax_year_visible(who: Identity, issued: bool) -> None:
    """A family sees a year's certificate once staff issued the year; staff see it before, to check it."""
    if who.role == "parent" and not issued:
        raise Unknown("Attestation introuvable.")
