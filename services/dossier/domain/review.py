"""What a manager's review of a transmitted sheet changes beyond the sheet's state: the reason kept for
the family, the insurer a family entered that joins the list proposed to everyone, and the quotient
familial an approved family sheet makes current (published as dossier.family_updated)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from contracts.dossier_sheets import SheetKind

__all__ = ["Decision", "NewInsurer", "QuotientUpdate", "approved", "insurer_to_add", "quotient_update", "refusal_reason"]

Decision = Literal["approved", "refused"]


@dataclass(frozen=True)
class NewInsurer:
    name: str
    address: str
    phone: str


@dataclass(frozen=True)
class QuotientUpdate:
    family_quotient: int | None
    allocataire_regime: str | None


def approved(decision: str) -> bool:
    return decision == "approved"


def refusal_reason(decision: str, reason: str | None) -> str | None:
    """The reason kept with a refused sheet (trimmed); none is kept with an approval."""
    return reason.strip() if decision == "refused" and reason else None


def insurer_to_add(kind: SheetKind | str, decision: str, data: dict) -> NewInsurer | None:
    """An approved insurance sheet naming a company absent from the list: that company joins the list."""
    if SheetKind(kind) is not SheetKind.ASSURANCE or not approved(decision):
        return None
    company = data.get("new_company") or {}
    if not company.get("name"):
        return None
    return NewInsurer(company["name"].strip(), company.get("address") or "", company.get("phone") or "")


def quotient_update(kind: SheetKind | str, decision: str, data: dict) -> QuotientUpdate | None:
    """An approved family sheet: its quotient familial and regime become the family's."""
    if SheetKind(kind) is not SheetKind.FAMILLE or not approved(decision):
        return None
    return QuotientUpdate(data.get("family_quotient"), data.get("allocataire_regime"))
