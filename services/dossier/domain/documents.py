"""Supporting documents (« pièces justificatives ») of the dossier: which are still missing before
transmission, and the upload limits of the guide (4 files per document, 2000 Ko per file, PDF/JPEG/PNG only).

The file type is decided by its content (magic bytes), never by its name or by the type the
browser declares. The document kinds, their labels and which ones a sheet's data asks for are part
of the published forms (``contracts.dossier_sheets``), re-exported here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from contracts.dossier_sheets import (
    DOCUMENT_LABELS,
    DOCUMENTS_OF,
    HEALTH_DOCUMENTS,
    SHEET_OF,
    DocumentKind,
    SheetKind,
    required_documents,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "DOCUMENTS_OF",
    "DOCUMENT_LABELS",
    "HEALTH_DOCUMENTS",
    "MAX_FILES_PER_PIECE",
    "MAX_FILE_BYTES",
    "SHEET_OF",
    "DocumentKind",
    "UploadRefused",
    "check_file",
    "check_upload",
    "display_name",
    "format_size",
    "missing_documents",
    "required_documents",
    "sniff",
]


MAX_FILES_PER_PIECE = 4
MAX_FILE_BYTES = 2000 * 1024

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
    return check_file(content)


def check_file(content: bytes) -> str:
    """The MIME type of a file of accepted size and type (PDF, JPEG or PNG by its magic bytes);
    UploadRefused otherwise. Every file the dossier keeps passes here (a piece, a règlement intérieur)."""
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


_UNSAFE_NAME = re.compile(r"[^\w.\- ]")


def display_name(raw: str | None) -> str:
    """The name a file is listed under: the family's own file name without any folder, characters other
    than letters, digits, dots, dashes and spaces replaced, 120 characters at most (« document » if none).
    Only ever displayed, never used for a path (ADR 0004)."""
    name = _UNSAFE_NAME.sub("_", (raw or "document").split("/")[-1].split("\\")[-1])[:120]
    return name or "document"
