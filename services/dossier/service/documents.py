"""The supporting documents of a sheet: added by the family while the sheet may change (checked by their
content, sealed, stored outside the rows), downloaded by the family or the staff who may read the sheet
(a staff read of a health document audited), removed by the family."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kit.identity import Identity
from services.dossier import access
from services.dossier.domain import states
from services.dossier.domain.archive import sanitise_name
from services.dossier.domain.documents import (
    HEALTH_DOCUMENTS,
    MAX_FILE_BYTES,
    MAX_FILES_PER_PIECE,
    SHEET_OF,
    DocumentKind,
    UploadRefused,
    check_upload,
    display_name,
)
from services.dossier.domain.sheets import LABELS
from services.dossier.store import Document, SheetDocument, Store, Tx

from . import Vault
from .errors import BadRequest, FileRefused, NotFound, Refused
from .sheets import own_sheet

UNKNOWN_KIND = "Type de pièce inconnu."
# What the family is told of the limits, and the largest body read before refusing without reading.
LIMITS = {"files_per_piece": MAX_FILES_PER_PIECE, "max_kb": MAX_FILE_BYTES // 1024, "types": ["PDF", "JPEG", "PNG"]}
MAX_BODY_BYTES = 10 * MAX_FILE_BYTES
TOO_LARGE = f"Le fichier dépasse {MAX_FILE_BYTES // 1024} Ko."


def attachment_fallback(name: str) -> str:
    """A plain ASCII version of a file name, for clients that cannot read the exact one."""
    return sanitise_name(name, "document")


def document_kind(raw: str) -> DocumentKind:
    try:
        return DocumentKind(raw)
    except ValueError:
        raise BadRequest(UNKNOWN_KIND) from None


@dataclass(frozen=True)
class Download:
    document: Document
    content: bytes


async def upload(store: Store, vault: Vault, who: Identity, sheet_id: uuid.UUID,
                 kind: DocumentKind, content: bytes, file_name: str | None) -> Document:
    """One file added to the piece `kind` of the family's sheet."""
    async with store.transaction() as tx:
        found = await own_sheet(tx, who, sheet_id, lock=True)
        if SHEET_OF[kind] != found.kind:
            raise BadRequest(f"Cette pièce ne se joint pas à la {LABELS[found.kind].lower()}.")
        try:
            states.check_editable(found.state)
        except states.DossierError as exc:
            raise Refused(exc.message) from None
        counts = await tx.document_counts(found.id)
        try:
            mime = check_upload(kind, counts.get(kind, 0), content)
        except UploadRefused as exc:
            raise FileRefused(exc.message) from None
        key = await vault.storage.put(vault.sealer.seal(content))
        document = Document(id=uuid.uuid4(), family_id=found.family_id, sheet_id=found.id, kind=kind.value,
                            mime=mime, size_bytes=len(content), storage_key=key, name=display_name(file_name))
        await tx.add_document(document)
    return document


async def _structures(tx: Tx, found: SheetDocument) -> set[uuid.UUID]:
    document = found.document
    return access.sheet_structures(await tx.children_structures(document.family_id, found.child_id),
                                   found.sheet_structure_id)


async def readable_document(tx: Tx, who: Identity, document_id: uuid.UUID, lock: bool = False) -> SheetDocument:
    """A document the person may read: the family's own, or one of a sheet staff may read."""
    access.require_signed_in(who)
    found = await tx.document(document_id, lock)
    if found is None:
        raise NotFound(access.DOCUMENT_NOT_FOUND)
    structures = set() if who.role == "parent" else await _structures(tx, found)
    child = await tx.child(found.child_id) if found.child_id and who.role == "parent" else None
    access.require_document(who, found.document.family_id, found.sheet_state, structures,
                            child.households if child else ())  # a shared child's: both households
    return found


async def download(store: Store, vault: Vault, who: Identity, document_id: uuid.UUID) -> Download:
    async with store.connection() as tx:
        found = await readable_document(tx, who, document_id)
        if access.audited(who, DocumentKind(found.document.kind) in HEALTH_DOCUMENTS):
            await tx.record_health_read(who.subject, found.child_id, found.document.sheet_id)
    return Download(found.document, vault.sealer.open(await vault.storage.get(found.document.storage_key)))


async def delete(store: Store, vault: Vault, who: Identity, document_id: uuid.UUID) -> None:
    """The family removes a file from a sheet that may still change."""
    access.require_family(who)
    async with store.transaction() as tx:
        found = await readable_document(tx, who, document_id, lock=True)
        child = await tx.child(found.child_id) if found.child_id else None
        access.require_own_document(who, {found.document.family_id, *(child.households if child else ())})
        try:
            states.check_editable(found.sheet_state)
        except states.DossierError as exc:
            raise Refused(exc.message) from None
        await tx.delete_document(found.document.id)
    await vault.storage.delete(found.document.storage_key)
