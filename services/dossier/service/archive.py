"""Everything held about a family in one ZIP (RGPD right of access), produced member by member: one
document at a time is in memory, never the whole archive."""

from __future__ import annotations

from collections.abc import AsyncIterator

from kit.identity import Identity
from services.dossier import access
from services.dossier.domain.archive import ArchiveStream
from services.dossier.domain.campaign import sheet_label
from services.dossier.store import Store

from . import Vault

FILE_NAME = "dossier-famille.zip"


def contact_data(contact) -> dict:
    return {"id": str(contact.id), "last_name": contact.last_name, "first_name": contact.first_name,
            "address": contact.address, "phone": contact.phone, "email": contact.email}


async def family_archive(store: Store, vault: Vault, who: Identity) -> AsyncIterator[bytes]:
    """The family's archive (checks who asks before anything is produced), as the chunks to send."""
    family_id = access.require_family(who)
    async with store.connection() as tx:
        names = {c.id: c.first_name for c in await tx.children(family_id)}
        sheets = await tx.all_sheets_of(family_id)
        documents = await tx.documents_of_family(family_id)
        people = await tx.contacts(family_id)
    return _chunks(vault, names, sheets, documents, people)


async def _chunks(vault: Vault, names, sheets, documents, people) -> AsyncIterator[bytes]:
    stream = ArchiveStream()
    yield stream.start()
    for s in sheets:
        label = sheet_label(s.kind, names.get(s.child_id) if s.child_id else None)
        yield stream.add_sheet(f"{s.school_year}_{label}_{str(s.id)[:8]}", {"etat": s.state.value, "donnees": s.data})
    yield stream.add_sheet("contacts", {"contacts": [contact_data(p) for p in people]})
    for d in documents:
        content = vault.sealer.open(await vault.storage.get(d.storage_key))
        yield stream.add_document(f"{d.kind}_{str(d.id)[:8]}_{d.name}", content)
        del content
    yield stream.finish()
