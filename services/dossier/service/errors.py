"""dossier's refusals, as the shared domain errors (contracts/errors.py) with the titles dossier has
always answered with; kit's problem middleware turns them into French JSON problems."""

from __future__ import annotations

from collections.abc import Iterable

from contracts.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

__all__ = ["BadRequest", "Conflict", "DeletionRefused", "EditRefused", "FileRefused", "FileTooLarge", "Forbidden",
           "Incomplete", "Invalid", "NotFound", "Refused", "SchoolYearRefused"]


class Refused(Conflict):
    """An action the sheet's state does not allow (locked sheet, review of a sheet not transmitted)."""

    title = "Action impossible"


class Incomplete(Invalid):
    """« Valider et transmettre » on a sheet with something still to fill in; `missing` lists it."""

    title = "Fiche incomplète"

    def __init__(self, detail: str, missing: Iterable[str]):
        super().__init__(detail)
        self.missing = list(missing)


class FileRefused(Invalid):
    title = "Fichier refusé"


class FileTooLarge(DomainError):
    status, title = 413, "Fichier refusé"


class BadRequest(DomainError):
    title = "Requête invalide"


class EditRefused(Invalid):
    title = "Modification impossible"


class DeletionRefused(Conflict):
    title = "Suppression impossible"


class SchoolYearRefused(Invalid):
    title = "Année scolaire invalide"
