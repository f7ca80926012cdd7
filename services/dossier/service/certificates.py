"""Medical certificates of declared absences (issue 19): the family sends one for its child before declaring
the absence to booking, which keeps only its identifier. The same rules as the dossier's documents
(domain/documents.check_file: 2000 Ko, PDF/JPEG/PNG by content), sealed and stored the same way; read back by
the family or by the staff of the child's structure (a staff read of this health document is audited)."""

from __future__ import annotations

import uuid

from kit.identity import Identity
from services.dossier import access
from services.dossier.domain.documents import UploadRefused, check_file, display_name
from services.dossier.store import Store
from services.dossier.store.certificates import Certificate

from . import Vault
from .errors import FileRefused, NotFound


async def upload(store: Store, vault: Vault, who: Identity, child_id: uuid.UUID, content: bytes,
                 file_name: str | None) -> Certificate:
    family_id = access.require_family(who)
    async with store.transaction() as tx:
        if await tx.child_family(child_id) != family_id:  # another family's child is not said to exist
            raise NotFound("Enfant introuvable.")
        try:
            mime = check_file(content)
        except UploadRefused as exc:
            raise FileRefused(exc.message) from None
        key = await vault.storage.put(vault.sealer.seal(content))
        certificate = Certificate(uuid.uuid4(), family_id, child_id, mime, len(content), key, display_name(file_name))
        await tx.add_certificate(certificate)
    return certificate


async def download(store: Store, vault: Vault, who: Identity, certificate_id: uuid.UUID,
                   expected_family: uuid.UUID | None) -> tuple[Certificate, bytes]:
    access.require_signed_in(who)
    async with store.connection() as tx:
        found = await tx.certificate(certificate_id)
        if found is None:
            raise NotFound(access.CERTIFICATE_NOT_FOUND)
        access.require_certificate(who, found.family_id, found.structure_id, expected_family)
        if access.audited(who, True):
            # the health reads' log names a sheet; a certificate is its own record: its id stands there
            await tx.record_health_read(who.subject, found.child_id, found.id)
    return found, vault.sealer.open(await vault.storage.get(found.storage_key))
