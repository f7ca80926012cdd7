"""Who may see or change what in billing: the one place where billing decides. Every handler of
services/billing/api.py asks here before it reads or writes, and queries only what it is given back.

- A family sees its own consumptions, invoices and payments, in every structure; never another's.
- An administrator sees every family in every structure, issues the invoices and may record a payment.
- Staff see a family only through the structures they work for: its lines, invoices and payments
  there, never those of its other structures. A family with nothing in their structures does not exist
  for them. They publish tariffs and record payments for their structures only, and a payment is
  allocated only to the invoices of its structure (services/billing/invoicing.py).
- Nobody signed in is needed for the payment provider's callback: its signature is the credential
  (verified by the provider before anything changes).

Refusals are French: 404 where telling that something exists would already say too much, 403 where the
caller knows what they asked for (their own structure, their role).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg
from aiohttp import web

from kit.http import identity_of
from kit.identity import Identity

STAFF_ROLES = ("staff", "admin")


@dataclass(frozen=True)
class Scope:
    """What the caller may see of one family: its data in these structures, and nothing else."""

    family_id: uuid.UUID
    structures: tuple[uuid.UUID, ...]

    @property
    def structure_ids(self) -> list[uuid.UUID]:
        return list(self.structures)


def _forbidden(text: str = "Vous n'avez pas accès à cette ressource.") -> web.HTTPForbidden:
    return web.HTTPForbidden(text=text)


def _caller(request: web.Request, *roles: str) -> Identity:
    who = identity_of(request)
    if who.role not in roles:
        raise _forbidden()
    return who


def _uuid(raw: str | None, missing: str) -> uuid.UUID:
    if not raw:
        raise web.HTTPBadRequest(text=missing)
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise web.HTTPNotFound(text="Famille introuvable.") from None


async def family_structures(conn: asyncpg.Connection, family_id: uuid.UUID) -> set[uuid.UUID]:
    """The structures a family has something in: it belongs to them (auth), or it consumed, was
    invoiced or paid there."""
    rows = await conn.fetch(
        """SELECT structure_id FROM family_structures WHERE family_id = $1
           UNION SELECT structure_id FROM consumptions WHERE family_id = $1
           UNION SELECT structure_id FROM invoices WHERE family_id = $1
           UNION SELECT structure_id FROM payments WHERE family_id = $1""", family_id)
    return {r["structure_id"] for r in rows}


def _sees_structure(who: Identity, family_id: uuid.UUID, structure_id: uuid.UUID) -> bool:
    """May `who` see one family's data in one structure?"""
    if who.role == "parent":
        return who.family_id is not None and who.family_id == family_id
    if who.role == "admin":
        return True
    if who.role == "staff":
        return structure_id in who.structures
    return False


# -- reading a family's account ---------------------------------------------------------------------
async def family_scope(request: web.Request, conn: asyncpg.Connection) -> Scope:
    """The family whose consumptions, invoices, payments or balance are asked for (a parent's own; staff
    and administrators name it with ?family_id=), and the structures the caller may see them in."""
    who = _caller(request, "parent", *STAFF_ROLES)
    asked = request.query.get("family_id")
    if who.role == "parent":
        if who.family_id is None:
            raise _forbidden("Compte sans famille.")
        if asked and _uuid(asked, "") != who.family_id:
            raise web.HTTPNotFound(text="Famille introuvable.")
        family_id = who.family_id
    else:
        family_id = _uuid(asked, "Précisez la famille (paramètre family_id).")
    structures = {s for s in await family_structures(conn, family_id) if _sees_structure(who, family_id, s)}
    if who.role == "staff" and not structures:
        raise web.HTTPNotFound(text="Famille introuvable.")
    return Scope(family_id, tuple(sorted(structures, key=str)))


async def invoice(request: web.Request, conn: asyncpg.Connection, invoice_id: uuid.UUID) -> asyncpg.Record:
    """One invoice (its PDF): the family's own, or one of a structure the staff member works for."""
    who = _caller(request, "parent", *STAFF_ROLES)
    row = await conn.fetchrow("SELECT * FROM invoices WHERE id = $1", invoice_id)
    if row is None or not _sees_structure(who, row["family_id"], row["structure_id"]):
        raise web.HTTPNotFound(text="Facture introuvable.")
    return row


# -- changes --------------------------------------------------------------------------------------------
async def tariff_publisher(request: web.Request, conn: asyncpg.Connection, structure_id: uuid.UUID,
                           activity_id: uuid.UUID) -> Identity:
    """Tariffs are published by staff of the structure, or an administrator, for an activity of that
    structure: never for an activity booking has placed in another structure (its transmitted bookings
    say where it is), whose lines the tariff would price."""
    who = _caller(request, *STAFF_ROLES)
    if not who.may_manage_structure(structure_id):
        raise _forbidden("Vous ne gérez pas cette structure.")
    elsewhere = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM booking_movements WHERE activity_id = $1 AND structure_id <> $2)
               OR EXISTS (SELECT 1 FROM consumptions WHERE activity_id = $1 AND structure_id <> $2)""",
        activity_id, structure_id)
    if elsewhere:
        raise web.HTTPNotFound(text="Activité introuvable dans cette structure : aucun tarif publié.")
    return who


def invoice_issuer(request: web.Request) -> Identity:
    """Issuing the month's invoices (every family, every structure) is an administrator's job."""
    return _caller(request, "admin")


async def payment_recorder(request: web.Request, conn: asyncpg.Connection, family_id: uuid.UUID,
                           structure_id: uuid.UUID) -> Identity:
    """A payment received at a structure's desk: by its staff (or an administrator), for a family that
    has something in that structure. The payment then belongs to that structure only."""
    who = _caller(request, *STAFF_ROLES)
    if not who.may_manage_structure(structure_id):
        raise _forbidden("Vous ne gérez pas cette structure.")
    if structure_id not in await family_structures(conn, family_id):
        raise web.HTTPNotFound(text="Famille introuvable dans cette structure : aucun paiement enregistré.")
    return who


async def payable_invoice(request: web.Request, conn: asyncpg.Connection, invoice_id: uuid.UUID) -> asyncpg.Record:
    """An online payment is started by the family for one of its own invoices."""
    who = _caller(request, "parent")
    row = await conn.fetchrow(
        """SELECT i.*, i.total_cents - coalesce((SELECT sum(amount_cents) FROM allocations a
                                                 WHERE a.invoice_id = i.id), 0) AS remaining
           FROM invoices i WHERE i.id = $1 FOR UPDATE""", invoice_id)
    if row is None or who.family_id is None or row["family_id"] != who.family_id:
        raise web.HTTPNotFound(text="Facture introuvable.")
    return row


async def checkout_payer(request: web.Request, conn: asyncpg.Connection, provider_ref: str) -> Identity:
    """The test provider's page and its "Payer"/"Annuler" buttons: only for the family that started
    the payment, signed in."""
    who = _caller(request, "parent")
    owner = await conn.fetchval("SELECT family_id FROM payments WHERE provider_ref = $1", provider_ref)
    if owner is None or who.family_id is None or owner != who.family_id:
        raise web.HTTPNotFound(text="Paiement introuvable ou terminé.")
    return who


def provider_callback(request: web.Request) -> Identity:
    """The provider's server-to-server callback: no account; trusted only once its signature is checked."""
    return identity_of(request)
