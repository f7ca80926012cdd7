"""The family dossier (dossier, through the gateway): sheets, documents, contacts, reviews."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

DOCUMENT_KINDS = ("justificatif_qf", "jugement_divorce", "attestation_assurance", "carnet_vaccination",
                  "certificat_contre_indication", "ordonnance", "pai")


class SheetSummary(BaseModel):
    id: str
    kind: str
    label: str
    child_id: str | None
    structure_id: str | None
    state: str
    state_label: str
    refusal_reason: str | None
    missing: list[Any]


class ChildBrief(BaseModel):
    id: str
    first_name: str
    last_name: str


class DossierOut(BaseModel):
    school_year: str
    sheets: list[SheetSummary]
    complete: bool
    transmitted: int
    total: int
    children: list[ChildBrief]


class DocumentOut(BaseModel):
    id: str
    kind: str
    label: str
    mime: str
    size_bytes: int
    name: str
    uploaded_at: str


class SheetOut(SheetSummary):
    data: dict[str, Any]
    documents: list[DocumentOut]
    editable: bool
    limits: dict[str, Any]


class SheetIn(BaseModel):
    data: dict[str, Any] = Field(default_factory=dict, description="Les champs de la fiche, selon sa nature.")


class SheetState(BaseModel):
    state: str
    state_label: str


class UploadQuery(BaseModel):
    kind: Literal[DOCUMENT_KINDS] = Field(description="La nature de la pièce.")  # type: ignore[valid-type]


class Uploaded(BaseModel):
    id: str
    mime: str


class ContactIn(BaseModel):
    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=320)


class ContactOut(BaseModel):
    id: str
    last_name: str
    first_name: str
    address: str
    phone: str
    email: str


class ContactsOut(BaseModel):
    contacts: list[ContactOut]


class Insurer(BaseModel):
    id: str
    name: str


class InsurersOut(BaseModel):
    insurers: list[Insurer]


class CampaignIn(BaseModel):
    school_year: str = Field(pattern=r"^\d{4}-\d{4}$", description="Par exemple 2026-2027.")


class ToReview(BaseModel):
    id: str
    kind: str
    label: str
    family_id: str
    identifiant: str
    child_id: str | None
    submitted_at: str


class ReviewListOut(BaseModel):
    sheets: list[ToReview]


class StaffSheetOut(BaseModel):
    id: str
    kind: str
    state: str
    data: dict[str, Any]
    documents: list[DocumentOut]


class ReviewIn(BaseModel):
    decision: Literal["approved", "refused"]
    reason: str | None = Field(default=None, max_length=1000)


class AuditQuery(BaseModel):
    child_id: uuid.UUID = Field(description="L'enfant.")


class HealthRead(BaseModel):
    reader: str
    sheet_id: str
    read_at: str


class AuditOut(BaseModel):
    reads: list[HealthRead]
