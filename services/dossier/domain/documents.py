"""Supporting documents (« pièces justificatives ») of the dossier: which are asked for, and
the upload limits of the guide (4 files per document, 2000 Ko per file, PDF/JPEG/PNG only).

The file type is decided by its content (magic bytes), never by its name or by the type the
browser declares."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel

from .sheets import HealthSheet, SheetKind

__all__ = [
    "ALLOWED",
    "DOCUMENTS_OF",
    "DOCUMENT_LABELS",
    "HEALTH_DOCUMENTS",
    "MAX_FILES_PER_PIECE",
    "MAX_FILE_BYTES",
    "SHEET_OF",
    "DocumentKind",
    "UploadRefused",
    "check_upload",
    "format_size",
    "missing_documents",
    "required_documents",
    "sniff",
]


class DocumentKind(StrEnum):
    JUSTIFICATIF_QF = "justificatif_qf"
    JUGEMENT_DIVORCE = "jugement_divorce"
    ATTESTATION_ASSURANCE = "attestation_assurance"
    CARNET_VACCINATION = "carnet_vaccination"
    CONTRE_INDICATION = "certificat_contre_indication"
    ORDONNANCE = "ordonnance"
    PAI = "pai"


DOCUMENT_LABELS: dict[DocumentKind, str] = {
    DocumentKind.JUSTIFICATIF_QF: (
        "Justificatif de quotient familial CAF ou MSA, ou à défaut dernier avis d'imposition"
    ),
    DocumentKind.JUGEMENT_DIVORCE: "Jugement de divorce",
    DocumentKind.ATTESTATION_ASSURANCE: "Attestation d'assurance",
    DocumentKind.CARNET_VACCINATION: "Copie du carnet de vaccination",
    DocumentKind.CONTRE_INDICATION: "Certificat médical de contre-indication",
    DocumentKind.ORDONNANCE: "Ordonnance",
    DocumentKind.PAI: "Copie du PAI",
}

SHEET_OF: dict[DocumentKind, SheetKind] = {
    DocumentKind.JUSTIFICATIF_QF: SheetKind.FAMILLE,
    DocumentKind.JUGEMENT_DIVORCE: SheetKind.FAMILLE,
    DocumentKind.ATTESTATION_ASSURANCE: SheetKind.ASSURANCE,
    DocumentKind.CARNET_VACCINATION: SheetKind.SANITAIRE,
    DocumentKind.CONTRE_INDICATION: SheetKind.SANITAIRE,
    DocumentKind.ORDONNANCE: SheetKind.SANITAIRE,
    DocumentKind.PAI: SheetKind.SANITAIRE,
}

# The documents a sheet may carry, in the guide's order (for the « pièces à joindre » block).
DOCUMENTS_OF: dict[SheetKind, tuple[DocumentKind, ...]] = {
    kind: tuple(d for d in DocumentKind if SHEET_OF[d] is kind) for kind in SheetKind
}

# Health data: encrypted at rest, every read audited.
HEALTH_DOCUMENTS: frozenset[DocumentKind] = frozenset(
    d for d, sheet in SHEET_OF.items() if sheet is SheetKind.SANITAIRE
)

MAX_FILES_PER_PIECE = 4
MAX_FILE_BYTES = 2000 * 1024
ALLOWED = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)

TOO_MANY_FILES = "4 fichiers au plus par pièce : supprimez-en un avant d'en ajouter un autre."
EMPTY_FILE = "Le fichier est vide."
WRONG_TYPE = "Type de fichier non accepté : seuls les PDF, JPEG et PNG sont acceptés."


def sniff(content: bytes) -> str | None:
    """The MIME type of an accepted file, by its magic bytes only; None for anything else."""
    for magic, mime in _MAGIC:
        if content.startswith(magic):
            return mime
    return None


def format_size(size_bytes: int) -> str:
    """A size in Ko (1024 bytes), rounded up so that a file just over the limit never reads as
    the limit itself, with a space between thousands: ``2 345 Ko``."""
    kilo = -(-size_bytes // 1024)
    return f"{kilo:,}".replace(",", " ") + " Ko"


class UploadRefused(Exception):
    """A refused upload; ``message`` is French and may be shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_upload(kind: DocumentKind, files_already: int, content: bytes) -> str:
    """The MIME type of a file that may be added to the piece ``kind`` which already holds
    ``files_already`` files; UploadRefused otherwise."""
    DocumentKind(kind)
    if files_already < 0:
        raise ValueError("files_already must not be negative")
    if files_already >= MAX_FILES_PER_PIECE:
        raise UploadRefused(TOO_MANY_FILES)
    if not content:
        raise UploadRefused(EMPTY_FILE)
    if len(content) > MAX_FILE_BYTES:
        raise UploadRefused(
            f"Le fichier dépasse {MAX_FILE_BYTES // 1024} Ko (taille : {format_size(len(content))})."
        )
    mime = sniff(content)
    if mime is None:
        raise UploadRefused(WRONG_TYPE)
    return mime


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def required_documents(kind: SheetKind, data: BaseModel) -> list[DocumentKind]:
    """The documents the sheet needs, given its data. The divorce judgement is never required
    here (only the family knows it applies), but may always be attached to the family sheet.
    While « vaccinés ou non » is not answered, neither the vaccination record nor the
    contra-indication certificate is asked for yet."""
    kind = SheetKind(kind)
    if kind is SheetKind.FAMILLE:
        return [DocumentKind.JUSTIFICATIF_QF]
    if kind is SheetKind.ASSURANCE:
        return [DocumentKind.ATTESTATION_ASSURANCE]
    if kind is SheetKind.SANITAIRE:
        if not isinstance(data, HealthSheet):
            raise TypeError(f"{type(data).__name__} is not the data of a health sheet")
        needed = []
        if data.vaccinated is True:
            needed.append(DocumentKind.CARNET_VACCINATION)
        elif data.vaccinated is False:
            needed.append(DocumentKind.CONTRE_INDICATION)
        if not _blank(data.treatment):
            needed.append(DocumentKind.ORDONNANCE)
        if data.pai is True:
            needed.append(DocumentKind.PAI)
        return needed
    return []


def missing_documents(
    kind: SheetKind, data: BaseModel, files_by_document: Mapping[DocumentKind, int]
) -> list[str]:
    """French labels of the required documents with no file yet, to add to the sheet's
    missing list before transmission."""
    return [
        f"Pièce à joindre : {DOCUMENT_LABELS[d]}"
        for d in required_documents(kind, data)
        if files_by_document.get(d, 0) <= 0
    ]
