"""Sessions, passwords, consents, profile, structures, families and staff accounts (auth, through the
gateway)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


# -- session ------------------------------------------------------------------------------------------
class SessionIn(BaseModel):
    identifiant: str = Field(min_length=1, max_length=200, description="Identifiant du compte.")
    mot_de_passe: str = Field(min_length=1, max_length=200, description="Mot de passe.")


class StructureRef(BaseModel):
    id: str
    name: str
    updated_at: str | None = None


class PendingConsent(BaseModel):
    kind: str
    version: int
    title: str


class SessionOut(BaseModel):
    """The signed-in account; `csrf_token` goes in the X-CSRF-Token header of every change."""

    account_id: str
    login: str
    role: Literal["parent", "staff", "admin"]
    family_id: str | None
    display_name: str | None
    emails: list[str]
    must_change_password: bool
    structures: list[StructureRef]
    current_structure_id: str | None
    pending_consents: list[PendingConsent]
    csrf_token: str


# -- passwords, consents, profile -------------------------------------------------------------------------
class NewPasswordIn(BaseModel):
    password: str = Field(max_length=200)
    confirmation: str = Field(max_length=200)


class ChangePasswordIn(NewPasswordIn):
    current: str = Field(max_length=200)


class LegalDocument(BaseModel):
    kind: Literal["rgpd", "cgu"]
    version: int
    title: str
    body_html: str
    published_at: str


class LegalDocuments(BaseModel):
    documents: list[LegalDocument]


class ConsentIn(BaseModel):
    accepted: list[Literal["rgpd", "cgu"]] = Field(max_length=2)


class LegalIn(BaseModel):
    title: str = Field(min_length=3, max_length=200)
    body_html: str = Field(min_length=10, max_length=100_000)


class LegalPublished(BaseModel):
    kind: Literal["rgpd", "cgu"]
    version: int


class EmailsIn(BaseModel):
    emails: str = Field(max_length=2000, description="Adresses séparées par « ; ».")
    password: str = Field(max_length=200, description="Le mot de passe actuel du compte.")


class EmailsOut(BaseModel):
    emails: list[str]


# -- structures -----------------------------------------------------------------------------------------------
class StructureOut(BaseModel):
    id: str
    name: str
    news_html: str
    updated_at: str


class StructuresOut(BaseModel):
    structures: list[StructureOut]


class StructureIn(BaseModel):
    name: str = Field(min_length=2, max_length=120)


class NewsIn(BaseModel):
    news_html: str = Field(max_length=20_000, description="Actualités (HTML simple, nettoyé par le portail).")


# -- families and staff ---------------------------------------------------------------------------------------
class GuardianIn(BaseModel):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)


class ResponsableIn(GuardianIn):
    civilite: Literal["M.", "Mme"] | None = None


class ChildIn(GuardianIn):
    birth_date: date
    structure_id: uuid.UUID | None = None


class FamilyIn(BaseModel):
    identifiant: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    responsable: ResponsableIn
    autre_responsable: GuardianIn | None = None
    emails: list[str] = Field(default_factory=list, max_length=5)
    structure_id: uuid.UUID
    initial_password: str | None = Field(default=None, max_length=30)
    children: list[ChildIn] = Field(default_factory=list, max_length=20)


class FamilyCreated(BaseModel):
    family_id: str
    identifiant: str
    initial_password: str | None


class ImportReport(BaseModel):
    created: list[dict]
    updated: list[dict]
    unchanged: list[str]
    rejected: list[dict]


class GuardianOut(BaseModel):
    id: str
    rank: int
    first_name: str
    last_name: str


class ChildOut(BaseModel):
    id: str
    first_name: str
    last_name: str
    birth_date: str
    structure_id: str


class FamilyOut(BaseModel):
    id: str
    identifiant: str
    structure_id: str
    guardians: list[GuardianOut]
    children: list[ChildOut]


class StaffIn(BaseModel):
    login: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: str = Field(min_length=2, max_length=120)
    email: str = Field(max_length=320)
    role: Literal["staff", "admin"] = "staff"
    structure_ids: list[uuid.UUID] = Field(default_factory=list)


class StaffCreated(BaseModel):
    account_id: str
    initial_password: str


class StatusOut(BaseModel):
    services: dict[str, bool]
