"""Events published by the dossier service (never health data)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import ConfigDict

from contracts.envelope import Message

HOUSE_RULES_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "school_year": "2025-2026",
    "signed_at": "2025-08-28T19:04:00Z",
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
