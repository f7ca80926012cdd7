"""The family's contacts (people who may pick a child up or be called): listed, added, their details
changed (never their names), deleted once no child's contacts sheet names them; and the insurers
proposed to every family."""

from __future__ import annotations

import uuid

from kit.identity import Identity
from services.dossier import access
from services.dossier.domain import contacts as rules
from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import DossierError
from services.dossier.store import Contact, Insurer, Store

from .errors import DeletionRefused, EditRefused, NotFound
from .sheets import current_campaign

NOT_FOUND = "Contact introuvable."


async def contacts(store: Store, who: Identity) -> list[Contact]:
    family_id = access.require_family(who)
    async with store.connection() as tx:
        return await tx.contacts(family_id)


async def create(store: Store, who: Identity, last_name: str, first_name: str, address: str, phone: str,
                 email: str) -> uuid.UUID:
    family_id = access.require_family(who)
    contact = Contact(uuid.uuid4(), family_id, last_name.strip(), first_name.strip(), address, phone, email)
    async with store.connection() as tx:
        await tx.add_contact(contact)
    return contact.id


async def update(store: Store, who: Identity, contact_id: uuid.UUID, last_name: str, first_name: str,
                 address: str, phone: str, email: str) -> None:
    """New details for a contact; its names stay as they were created."""
    family_id = access.require_family(who)
    async with store.transaction() as tx:
        found = await tx.contact(contact_id, family_id, lock=True)
        if found is None:
            raise NotFound(NOT_FOUND)
        try:
            rules.check_rename(found.last_name, found.first_name, last_name, first_name)
        except DossierError as exc:
            raise EditRefused(exc.message) from None
        await tx.update_contact(found.id, address, phone, email)


async def delete(store: Store, who: Identity, contact_id: uuid.UUID) -> None:
    """A contact is deleted only once the contacts sheet of every child of the open campaign no longer
    names it."""
    family_id = access.require_family(who)
    async with store.transaction() as tx:
        if await tx.contact(contact_id, family_id, lock=True) is None:
            raise NotFound(NOT_FOUND)
        campaign = await current_campaign(tx)
        links = {s.child_id: [uuid.UUID(str(link["contact_id"])) for link in s.data.get("links") or []]
                 for s in await tx.sheets_of(campaign.id, family_id) if s.kind is SheetKind.CONTACTS}
        names = {c.id: c.first_name for c in await tx.children(family_id)}
        refusal = rules.deletion_refusal(contact_id, links, names)
        if refusal:
            raise DeletionRefused(refusal)
        await tx.delete_contact(contact_id)


async def insurers(store: Store, who: Identity) -> list[Insurer]:
    access.require_signed_in(who)
    async with store.connection() as tx:
        return await tx.insurers()
