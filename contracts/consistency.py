"""The consistency check of the projections (internal exchange only: operations, not facts).

An operator (tools/consistency.py, or the administrator's Exploitation page) asks for a check
(ConsistencyCheckRequestedV1). Each owner of facts (auth, dossier, booking) answers with a digest of its
current facts (`<owner>.facts_digest`): per kind of fact and per structure, how many there are and a
checksum of their (identifier, version) pairs. Each consumer compares a digest with its own projection
and publishes its verdict (ConsistencyVerdictV1), with the differences in French for the operators.
Counts and checksums only: no identifier of a family or a child travels in these messages."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import INTERNAL, Message

CHECK_EXAMPLE = {"check_id": "5a1f0c2e-9b8d-4e7f-a6c5-0d1e2f3a4b5c", "requested_at": "2026-09-14T07:30:00Z"}


class ConsistencyCheckRequestedV1(Message):
    """Command: every owner of facts publishes the digest of its current facts for this check."""

    model_config = ConfigDict(json_schema_extra={"examples": [CHECK_EXAMPLE]})

    TYPE = "consistency.check_requested"
    VERSION = 1
    EXCHANGE = INTERNAL
    EXAMPLE_PRODUCER = "gateway"
    DESCRIPTION = ("Internal only: an operator asks for a consistency check of the projections; each owner of "
                   "facts answers with its facts digest.")

    check_id: uuid.UUID
    requested_at: dt.datetime


class FactCount(BaseModel):
    """One kind of fact in one structure (None: facts counted under no structure)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(description="structures, families, children, contacts, quotients, house_rules, bookings")
    structure_id: uuid.UUID | None = None
    structure_name: str | None = Field(default=None, description="The structure's name, for the report.")
    count: int = Field(ge=0)
    checksum: str = Field(description="SHA-256 of the sorted (identifier, version) pairs, hexadecimal.")


DIGEST_EXAMPLE = {
    "check_id": "5a1f0c2e-9b8d-4e7f-a6c5-0d1e2f3a4b5c",
    "computed_at": "2026-09-14T07:30:01Z",
    "facts": [{"kind": "families", "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978", "count": 412,
               "checksum": "3f0a9c8e7d6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a09"}],
}


class _FactsDigest(Message):
    model_config = ConfigDict(json_schema_extra={"examples": [DIGEST_EXAMPLE]})

    EXCHANGE = INTERNAL
    check_id: uuid.UUID | None = Field(default=None, description="The check it answers (None: on its own).")
    computed_at: dt.datetime
    facts: list[FactCount]


class AuthFactsDigestV1(_FactsDigest):
    """auth's facts: structures, families, children and the families' contacts."""

    TYPE = "auth.facts_digest"
    VERSION = 1
    DESCRIPTION = ("Internal only: counts and checksums of auth's current facts (structures, families, children, "
                   "contacts) per structure, for the consistency check of the projections.")


class DossierFactsDigestV1(_FactsDigest):
    """dossier's facts: quotients familiaux and signed règlements intérieurs."""

    TYPE = "dossier.facts_digest"
    VERSION = 1
    DESCRIPTION = ("Internal only: counts and checksums of dossier's current facts (quotients, signed house "
                   "rules) per structure, for the consistency check of the projections.")


class BookingFactsDigestV1(_FactsDigest):
    """booking's facts others keep: the transmitted bookings that are accepted (billed)."""

    TYPE = "booking.facts_digest"
    VERSION = 1
    DESCRIPTION = ("Internal only: counts and checksums of booking's transmitted accepted bookings per "
                   "structure, for the consistency check of billing's consumptions.")


class Difference(BaseModel):
    """One kind of fact in one structure where a projection differs from its owner."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    structure_id: uuid.UUID | None = None
    owner_count: int
    projection_count: int
    checksum_differs: bool
    text: str = Field(description="The difference in French, for the operators.")


VERDICT_EXAMPLE = {
    "check_id": "5a1f0c2e-9b8d-4e7f-a6c5-0d1e2f3a4b5c",
    "consumer": "booking",
    "owner": "auth",
    "checked_at": "2026-09-14T07:30:02Z",
    "consistent": False,
    "differences": [{"kind": "families", "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978", "owner_count": 412,
                     "projection_count": 410, "checksum_differs": True,
                     "text": "booking : 2 familles de la structure Mairie de CarteVille manquent dans la projection "
                             "(412 chez auth, 410 dans la projection)."}],
}


class ConsistencyVerdictV1(Message):
    """A consumer compared an owner's digest with its projection."""

    model_config = ConfigDict(json_schema_extra={"examples": [VERDICT_EXAMPLE]})

    TYPE = "consistency.verdict"
    VERSION = 1
    EXCHANGE = INTERNAL
    EXAMPLE_PRODUCER = "booking"
    DESCRIPTION = ("Internal only: a consumer's verdict on its projection of an owner's facts (counts and "
                   "checksums compared), with the differences in French.")

    check_id: uuid.UUID | None = None
    consumer: str
    owner: str
    checked_at: dt.datetime
    consistent: bool
    differences: list[Difference] = Field(default_factory=list)
