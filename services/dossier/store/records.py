"""The plain records dossier's store returns (and the fake store of the unit tests holds): one dataclass
per thing read from PostgreSQL, with sealed data already opened."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import SheetState


@dataclass(frozen=True)
class Campaign:
    id: uuid.UUID
    school_year: str


@dataclass(frozen=True)
class Child:
    id: uuid.UUID
    family_id: uuid.UUID  # its first family, under which its sheets are kept
    first_name: str
    last_name: str
    structure_id: uuid.UUID | None
    other_family_ids: tuple[uuid.UUID, ...] = ()  # shared custody: its second household

    @property
    def households(self) -> tuple[uuid.UUID, ...]:
        """Every family the child belongs to: each sees, fills and transmits the child's sheets."""
        return (self.family_id, *self.other_family_ids)


@dataclass
class Sheet:
    id: uuid.UUID
    campaign_id: uuid.UUID
    school_year: str
    family_id: uuid.UUID
    kind: SheetKind
    child_id: uuid.UUID | None
    structure_id: uuid.UUID | None
    subject_key: str
    state: SheetState
    data: dict = field(default_factory=dict)
    refusal_reason: str | None = None
    submitted_at: datetime | None = None
    house_rules_version: int | None = None  # a signed règlement: the version signed


@dataclass(frozen=True)
class PreviousSheet:
    """Last year's sheet of a subject, its data as stored (clear JSON or sealed), to prefill the new one."""

    kind: str
    subject_key: str
    state: SheetState
    data_json: str | None
    data_sealed: bytes | None


@dataclass(frozen=True)
class NewSheet:
    id: uuid.UUID
    kind: SheetKind
    subject_key: str
    child_id: uuid.UUID | None
    structure_id: uuid.UUID | None
    state: SheetState
    prefill: PreviousSheet | None


@dataclass(frozen=True)
class Document:
    id: uuid.UUID
    family_id: uuid.UUID
    sheet_id: uuid.UUID
    kind: str
    mime: str
    size_bytes: int
    storage_key: str
    name: str
    uploaded_at: datetime | None = None


@dataclass(frozen=True)
class SheetDocument:
    """A document with what access needs of its sheet."""

    document: Document
    sheet_state: SheetState
    child_id: uuid.UUID | None
    sheet_structure_id: uuid.UUID | None


@dataclass(frozen=True)
class Contact:
    id: uuid.UUID
    family_id: uuid.UUID
    last_name: str
    first_name: str
    address: str
    phone: str
    email: str


@dataclass(frozen=True)
class Insurer:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class ReviewItem:
    id: uuid.UUID
    kind: str
    family_id: uuid.UUID
    identifiant: str
    child_id: uuid.UUID | None
    state: SheetState
    submitted_at: datetime
    structures: frozenset[uuid.UUID]


@dataclass(frozen=True)
class HealthRead:
    reader: str
    sheet_id: uuid.UUID
    read_at: datetime
