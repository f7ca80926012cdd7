"""The règlement intérieur staff publish per structure and school year: the file they may upload (a PDF,
checked like any document of the dossier), its versions (1, 2, …), and what a new version does to the
règlement sheets already signed: an older version no longer counts, the sheet goes back to « À remplir »
and must be ticked and signed again."""

from __future__ import annotations

from contracts.dossier_sheets import SheetState

from .documents import UploadRefused, check_file

__all__ = [
    "NOT_A_PDF",
    "SIGNED_STATES",
    "check_house_rules_file",
    "must_sign_again",
    "next_version",
    "unsigned_data",
]

NOT_A_PDF = "Le règlement intérieur doit être un fichier PDF."
# A règlement sheet the family has signed (transmitted, then validated by staff).
SIGNED_STATES = frozenset({SheetState.SUBMITTED, SheetState.APPROVED})
# What a signature adds to the sheet; cleared when the règlement changes (the name and place are kept).
_SIGNATURE_FIELDS = ("acknowledged", "signed_on", "signed_at")


def check_house_rules_file(content: bytes) -> None:
    """A règlement is a PDF within the documents' size limit (magic bytes decide); UploadRefused otherwise."""
    if check_file(content) != "application/pdf":
        raise UploadRefused(NOT_A_PDF)


def next_version(latest: int | None) -> int:
    """The version of the next upload for a structure and school year."""
    return (latest or 0) + 1


def must_sign_again(state: SheetState | str, signed_version: int | None, current_version: int) -> bool:
    """A signed règlement sheet of an older version (or signed before any version was published) must be
    signed again once ``current_version`` is published; a sheet not signed yet will sign the current one."""
    return SheetState(state) in SIGNED_STATES and (signed_version or 0) < current_version


def unsigned_data(data: dict) -> dict:
    """The sheet's data with its signature removed (the box to tick again, a new date and time)."""
    return {k: v for k, v in data.items() if k not in _SIGNATURE_FIELDS}
