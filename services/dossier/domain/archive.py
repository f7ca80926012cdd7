"""The family's archive (GDPR right of access and portability, art. 15 and 20): a ZIP of every
sheet as JSON and every supporting document, with a French « LISEZMOI.txt »."""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

__all__ = ["README", "ArchiveStream", "family_archive", "sanitise_name"]

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: the same content always gives the same archive
MAX_NAME = 100

README = """\
Archive de votre dossier famille
================================

Cette archive contient toutes les informations de votre dossier famille enregistrées sur le
Portail Famille, telles qu'elles figuraient au moment de son téléchargement :

- le dossier « fiches » : chaque fiche de votre dossier (fiche famille, fiches autres
  responsables, et pour chaque enfant : fiches assurance, d'autorisations, de contacts,
  sanitaire et règlement intérieur), au format JSON, lisible avec un éditeur de texte ;
- le dossier « pieces » : les pièces justificatives que vous avez déposées (PDF, JPEG ou PNG).

Ces données, en particulier la fiche sanitaire et les pièces médicales, sont des données
personnelles sensibles concernant vos enfants : conservez cette archive en lieu sûr et ne la
transmettez qu'à des personnes de confiance.

Vous disposez d'un droit d'accès, de rectification, d'effacement et de portabilité de vos
données (articles 15 à 20 du Règlement général sur la protection des données). Pour l'exercer,
ou pour toute question, adressez-vous au service des familles de votre mairie ou à son délégué
à la protection des données.
"""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def sanitise_name(name: str, fallback: str = "fichier") -> str:
    """A file name made only of [A-Za-z0-9._-]: accents dropped, anything else (path separators
    included) turned into "_", no leading dot (no "..", no hidden file), at most 100 chars."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = _UNSAFE.sub("_", plain).lstrip("._-")
    if not plain.strip("._-"):
        plain = fallback
    if len(plain) > MAX_NAME:
        stem, dot, ext = plain.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            plain = stem[: MAX_NAME - len(ext) - 1] + "." + ext
        else:
            plain = plain[:MAX_NAME]
    return plain


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        stem, dot, ext = name.rpartition(".")
        candidate = f"{stem}-{n}.{ext}" if dot and stem else f"{name}-{n}"
    taken.add(candidate.casefold())
    return candidate


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} cannot be written to JSON")


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


class _Sink:
    """A write-only, unseekable file: zipfile then writes each member with a data descriptor, in
    one pass, and what it wrote can be taken away (and sent) member by member."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


class ArchiveStream:
    """The family archive written member by member: each ``add_*`` returns the bytes to send now, so
    only one member is held in memory at a time (the archive is never built whole).

        stream = ArchiveStream()
        send(stream.start())
        for name, data in sheets: send(stream.add_sheet(name, data))
        for name, content in documents: send(stream.add_document(name, content))
        send(stream.finish())
    """

    def __init__(self) -> None:
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w")  # type: ignore[arg-type]
        self._sheet_names: set[str] = set()
        self._document_names: set[str] = set()

    def start(self) -> bytes:
        _add(self._zip, "LISEZMOI.txt", README.encode("utf-8"))
        return self._sink.take()

    def add_sheet(self, name: str, data: dict) -> bytes:
        safe = sanitise_name(name, "fiche")
        if not safe.lower().endswith(".json"):
            safe += ".json"
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True, default=_json_default)
        _add(self._zip, "fiches/" + _unique(safe, self._sheet_names), (text + "\n").encode("utf-8"))
        return self._sink.take()

    def add_document(self, name: str, content: bytes) -> bytes:
        _add(self._zip, "pieces/" + _unique(sanitise_name(name, "piece"), self._document_names), bytes(content))
        return self._sink.take()

    def finish(self) -> bytes:
        self._zip.close()  # the central directory
        return self._sink.take()


def family_archive(sheets: Sequence[tuple[str, dict]], documents: Sequence[tuple[str, bytes]]) -> bytes:
    """The ZIP: ``LISEZMOI.txt``, ``fiches/<name>.json`` and ``pieces/<name>``, in the order
    given; names are sanitised and made unique. (The service streams it with ArchiveStream.)"""
    stream = ArchiveStream()
    parts = [stream.start()]
    parts += [stream.add_sheet(name, data) for name, data in sheets]
    parts += [stream.add_document(name, content) for name, content in documents]
    parts.append(stream.finish())
    return b"".join(parts)
