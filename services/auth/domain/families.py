"""A family as the collectivité provides it (one by one or in a CSV file): its members, how its account
greets it, and the refusals of a family creation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.auth.domain.passwords import check_rules


@dataclass(frozen=True)
class ImportedChild:
    first_name: str
    last_name: str
    birth_date: date
    structure_id: UUID


@dataclass(frozen=True)
class ImportedGuardian:
    first_name: str
    last_name: str
    rank: int  # 1: responsable, 2: autre responsable
    civility: str | None = None  # "M." or "Mme": how mails greet the responsable ("M. DUPONT Jean-Paul")


@dataclass(frozen=True)
class ImportedFamily:
    identifiant: str
    guardians: tuple[ImportedGuardian, ...]
    emails: tuple[str, ...]
    structure_id: UUID
    initial_password: str | None
    children: tuple[ImportedChild, ...]
    lines: tuple[int, ...]  # the file lines this family was built from (header = line 1); () when typed


def display_name(family: ImportedFamily) -> str:
    first = next((g for g in family.guardians if g.rank == 1), family.guardians[0])
    return " ".join(p for p in (first.civility, first.last_name.upper(), first.first_name) if p)


def taken(identifiant: str) -> str:
    """The one refusal for an identifiant already in use, whoever uses it (another structure's family, a
    staff account): it says nothing about that account, not even which kind it is."""
    return f"l'identifiant « {identifiant} » est déjà utilisé par un autre compte"


def sentence(text: str) -> str:
    """A refusal written for a list ("l'identifiant … est déjà utilisé …") as a sentence of its own."""
    return text[:1].upper() + text[1:] + "."


def initial_password_errors(initial_password: str | None) -> list[str]:
    """A password staff chose for a new family must meet the rules, each unmet one said."""
    if initial_password is None:
        return []
    return [f"Mot de passe initial : règle non respectée « {r.label} »"
            for r in check_rules(initial_password) if not r.met]


def structures_of(family: ImportedFamily) -> set[UUID]:
    """Every structure a new family touches: its own and its children's (the caller must manage each)."""
    return {family.structure_id, *(c.structure_id for c in family.children)}
