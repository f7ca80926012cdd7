"""The « attestations de frais de garde » (billing, through the gateway, issue 19): a family's certificates
and one certificate's PDF; for staff, their structure's eligible activities and details, a year's list,
its issue and all its certificates in one PDF."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class CertificateLine(BaseModel):
    activity_id: str
    activity: str
    amount_cents: int
    amount: str


class CertificateOut(BaseModel):
    child_id: str
    first_name: str
    last_name: str
    birth_date: str
    family_id: str | None = Field(default=None, description="Staff only.")
    family_label: str | None = Field(default=None, description="Staff only.")
    total_cents: int
    total: str
    lines: list[CertificateLine]


class YearOut(BaseModel):
    structure_id: str
    structure_name: str
    year: int
    until: str = Field(description="The last day whose payments count (31/12, or today in the current year).")
    issued_on: str | None = Field(description="When staff issued the year; null: not yet (staff only see it).")
    total_cents: int
    total: str
    certificates: list[CertificateOut]


class FamilyCertificatesOut(BaseModel):
    years: list[YearOut]


class StructureQuery(BaseModel):
    structure_id: uuid.UUID
    year: int | None = Field(default=None, description="AAAA, une année commencée ; par défaut l'année dernière.")


class EligibleActivity(BaseModel):
    activity_id: str
    name: str
    eligible: bool


class IssuedYear(BaseModel):
    year: int
    issued_on: str


class StructureCertificatesOut(YearOut):
    details: str
    activities: list[EligibleActivity]
    issued_years: list[IssuedYear]


class SettingsIn(BaseModel):
    structure_id: uuid.UUID
    details: str = Field(default="", max_length=1000, description="Coordonnées de la structure (adresse, SIRET…).")
    eligible_activity_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class IssueIn(BaseModel):
    structure_id: uuid.UUID
    year: int | None = Field(default=None, description="AAAA, une année commencée ; par défaut l'année dernière.")


class IssueOut(BaseModel):
    year: int
    issued: bool = Field(description="False: the year was issued already (nothing changed).")
    certificates: int
    total_cents: int
    total: str
