"""The public API's models for declared absences (illness): the family declares its child absent on booked
days with a medical certificate (sent first to the dossier, which keeps it), staff accept or refuse it, and
set their structure's waiting period (« délai de carence »)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AbsenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    child_id: uuid.UUID
    start: date
    end: date
    certificate_id: uuid.UUID = Field(description="Le certificat médical déjà déposé (POST /dossier/certificates).")


class AbsenceOut(BaseModel):
    id: uuid.UUID
    days: int = Field(description="Les jours réservés que l'absence couvre.")


class AbsenceDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "refuse"]
    reason: str | None = Field(default=None, max_length=300, description="Obligatoire pour un refus.")


class DecisionOut(BaseModel):
    status: Literal["accepted", "refused"]


class Absence(BaseModel):
    id: uuid.UUID
    family_id: uuid.UUID
    child_id: uuid.UUID
    child: str
    start: date
    end: date
    days: int
    status: Literal["pending", "accepted", "refused"]
    status_label: str
    reason: str | None
    certificate_id: uuid.UUID
    declared_at: datetime


class AbsencesOut(BaseModel):
    absences: list[Absence]


class AbsencesQuery(BaseModel):
    structure_id: uuid.UUID
    status: Literal["pending", "accepted", "refused"] | None = None


class WaitingDaysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waiting_days: int = Field(ge=0, le=30, description="Les premiers jours réservés d'une absence restant facturés.")


class WaitingDaysOut(BaseModel):
    waiting_days: int


class CertificateOut(BaseModel):
    id: uuid.UUID


class CertificateQuery(BaseModel):
    child_id: uuid.UUID = Field(description="L'enfant absent.")


class CertificateReadQuery(BaseModel):
    family_id: uuid.UUID | None = Field(default=None, description="Pour le personnel : la famille de l'absence "
                                                                  "(le certificat doit être le sien).")
