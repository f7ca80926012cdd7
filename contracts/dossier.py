"""Events published by the dossier service (never health data).

The review of a sheet exists twice: DossierSheetReviewedV1 (internal exchange) carries the child's
name and the staff's free-text reason, which for a health sheet is health data, for notify's mail to
the family; DossierSheetReviewedV2 (public exchange) carries the fact only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import ConfigDict, Field

from contracts.envelope import INTERNAL, Message

HOUSE_RULES_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "school_year": "2025-2026",
    "signed_at": "2025-08-28T19:04:00Z",
    "version": 2,
}


class DossierHouseRulesSignedV1(Message):
    """A responsable signed the structure's règlement intérieur for one child."""

    model_config = ConfigDict(json_schema_extra={"examples": [HOUSE_RULES_EXAMPLE]})

    TYPE = "dossier.house_rules_signed"
    VERSION = 1
    DESCRIPTION = "The règlement intérieur of a structure was signed for a child; booking opens to that child."

    family_id: uuid.UUID
    child_id: uuid.UUID
    structure_id: uuid.UUID
    school_year: str
    signed_at: dt.datetime
    version: int | None = Field(
        default=None, ge=1,
        description=("The version of the structure's règlement for that school year that was signed "
                     "(dossier.house_rules_published); absent when none was published when it was signed."))


HOUSE_RULES_PUBLISHED_EXAMPLE = {
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "school_year": "2025-2026",
    "version": 2,
    "published_at": "2025-08-20T08:15:00Z",
}


class DossierHouseRulesPublishedV1(Message):
    """Staff published a new version of a structure's règlement intérieur for a school year: every
    signature of an older version of that school year must be renewed."""

    model_config = ConfigDict(json_schema_extra={"examples": [HOUSE_RULES_PUBLISHED_EXAMPLE]})

    TYPE = "dossier.house_rules_published"
    VERSION = 1
    DESCRIPTION = ("A new version of a structure's règlement intérieur was published for a school year; "
                   "signatures of an older version of that year no longer count (booking closes until "
                   "the family signs again).")

    structure_id: uuid.UUID
    school_year: str
    version: int = Field(ge=1)
    published_at: dt.datetime


REMINDER_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "structure_name": "Mairie de CarteVille",
    "school_year": "2025-2026",
    "reminded_at": "2025-09-01T08:00:00Z",
}


class DossierReminderV1(Message):
    """Private: staff remind a family that has not started its dossier of the campaign (notify mails
    it to the family's addresses, which only notify holds)."""

    model_config = ConfigDict(json_schema_extra={"examples": [REMINDER_EXAMPLE]})

    TYPE = "dossier.reminder"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = ("Internal only: staff remind a family that its dossier of the school year is not started; "
                   "notify sends the reminder mail (at most one per family and day).")

    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    school_year: str
    reminded_at: dt.datetime


SHEET_REVIEWED_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "sheet_id": "d6f1c2b3-a4e5-4f60-8a7b-1c2d3e4f5a6b",
    "sheet_kind": "sanitaire",
    "sheet_label": "Fiche sanitaire",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "child_first_name": "Léa",
    "child_last_name": "DUPONT",
    "decision": "refused",
    "reason": "Le carnet de vaccination est illisible.",
    "reviewed_at": "2025-09-02T09:30:00Z",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
}


class DossierSheetReviewedV1(Message):
    """Private: staff approved or refused a sheet, with the child's name and the reason, for the
    family's mail (notify). Until 0.1 this version was public; the public exchange now carries
    DossierSheetReviewedV2."""

    model_config = ConfigDict(json_schema_extra={"examples": [SHEET_REVIEWED_EXAMPLE]})

    TYPE = "dossier.sheet_reviewed"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = ("Internal only: a dossier sheet was approved or refused by staff, with the child's name "
                   "and the staff's reason for the family's mail; never the sheet's content.")

    family_id: uuid.UUID
    sheet_id: uuid.UUID
    sheet_kind: str
    sheet_label: str
    child_id: uuid.UUID | None = None
    child_first_name: str | None = None
    child_last_name: str | None = None
    decision: Literal["approved", "refused"]
    reason: str | None = None
    reviewed_at: dt.datetime
    structure_id: uuid.UUID | None = Field(
        default=None, description="The structure the sheet is about, when it is one (a child's sheet).")


SHEET_REVIEWED_V2_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "sheet_id": "d6f1c2b3-a4e5-4f60-8a7b-1c2d3e4f5a6b",
    "sheet_kind": "assurance",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "decision": "refused",
    "reviewed_at": "2025-09-02T09:30:00Z",
}


class DossierSheetReviewedV2(Message):
    """Staff approved or refused a sheet of the family dossier: the fact, by identifiers. The reason
    and the child's name go to the family only (by mail), never here."""

    model_config = ConfigDict(json_schema_extra={"examples": [SHEET_REVIEWED_V2_EXAMPLE]})

    TYPE = "dossier.sheet_reviewed"
    VERSION = 2
    DESCRIPTION = ("A dossier sheet was approved or refused by staff; identifiers and the decision only, "
                   "never the sheet's content, the child's name or the staff's reason.")

    family_id: uuid.UUID
    sheet_id: uuid.UUID
    sheet_kind: str
    child_id: uuid.UUID | None = None
    structure_id: uuid.UUID | None = None
    decision: Literal["approved", "refused"]
    reviewed_at: dt.datetime

    @classmethod
    def of(cls, private: DossierSheetReviewedV1) -> DossierSheetReviewedV2:
        """The public view of the private event."""
        return cls(family_id=private.family_id, sheet_id=private.sheet_id, sheet_kind=private.sheet_kind,
                   child_id=private.child_id, structure_id=private.structure_id, decision=private.decision,
                   reviewed_at=private.reviewed_at)


FAMILY_UPDATED_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "family_quotient": 642,
    "allocataire_regime": "CAF",
    "updated_at": "2025-09-02T09:30:00Z",
}


class DossierFamilyUpdatedV1(Message):
    """The family sheet's facts other services need (the quotient familial), never health data."""

    model_config = ConfigDict(json_schema_extra={"examples": [FAMILY_UPDATED_EXAMPLE]})

    TYPE = "dossier.family_updated"
    VERSION = 1
    DESCRIPTION = "The family's quotient familial (for tariffs) as validated by staff; no health data."

    family_id: uuid.UUID
    family_quotient: int | None = None
    allocataire_regime: Literal["CAF", "MSA", "autre"] | None = None
    updated_at: dt.datetime


SHEET_SUBMITTED_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "sheet_id": "d6f1c2b3-a4e5-4f60-8a7b-1c2d3e4f5a6b",
    "sheet_kind": "assurance",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "school_year": "2025-2026",
    "submitted_at": "2025-08-28T19:04:00Z",
}


class DossierSheetSubmittedV1(Message):
    """A family validated and transmitted a sheet; staff have a sheet to review (no content)."""

    model_config = ConfigDict(json_schema_extra={"examples": [SHEET_SUBMITTED_EXAMPLE]})

    TYPE = "dossier.sheet_submitted"
    VERSION = 1
    DESCRIPTION = "A dossier sheet was validated and transmitted by the family; carries no content."

    family_id: uuid.UUID
    sheet_id: uuid.UUID
    sheet_kind: str
    child_id: uuid.UUID | None = None
    school_year: str
    submitted_at: dt.datetime
