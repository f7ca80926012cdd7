"""Events published by the auth service: who is who.

Public events carry identifiers, never credentials nor personal detail about a family's members. The
members' names and the children's birth dates travel only on the internal exchange
(AuthFamilyChangedV1, for the portal's own services), and so do the family's e-mail addresses
(AuthFamilyContactsV1, for notify)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from contracts.envelope import INTERNAL, Message

STRUCTURE_EXAMPLE = {
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "name": "Mairie de CarteVille",
    "updated_at": "2025-09-01T08:00:00Z",
}


class AuthStructureChangedV1(Message):
    """A structure (commune, site) was created or renamed, or its home-page news changed."""

    model_config = ConfigDict(json_schema_extra={"examples": [STRUCTURE_EXAMPLE]})

    TYPE = "auth.structure_changed"
    VERSION = 1
    DESCRIPTION = "A structure of the collectivité was created or changed (name, news date)."

    structure_id: uuid.UUID
    name: str
    updated_at: dt.datetime


ACCOUNT_EXAMPLE = {
    "account_id": "1c6a7f0e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
    "role": "parent",
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_ids": [],
}


class AuthAccountCreatedV1(Message):
    """An account was opened: a family's (parent) or a staff member's."""

    model_config = ConfigDict(json_schema_extra={"examples": [ACCOUNT_EXAMPLE]})

    TYPE = "auth.account_created"
    VERSION = 1
    DESCRIPTION = "An account was created (parent of one family, or staff of some structures)."

    account_id: uuid.UUID
    role: Literal["parent", "staff", "admin"]
    family_id: uuid.UUID | None = None
    structure_ids: list[uuid.UUID] = Field(default_factory=list)


class Guardian(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    guardian_id: uuid.UUID
    first_name: str
    last_name: str
    rank: int = Field(ge=1, le=2, description="1: responsable, 2: autre responsable")


class Child(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    child_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: dt.date
    structure_id: uuid.UUID
    households: list[uuid.UUID] = Field(
        default_factory=list, max_length=2,
        description="Shared custody (garde alternée): the child's two households, its first family first. "
                    "Empty: the child belongs to this family only.")


FAMILY_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "identifiant": "DUPONT-0042",
    "structure_ids": ["9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978"],
    "guardians": [{"guardian_id": "b1a2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "first_name": "Jean-Paul",
                   "last_name": "DUPONT", "rank": 1}],
    "children": [{"child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "first_name": "Léa",
                  "last_name": "DUPONT", "birth_date": "2018-04-12",
                  "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978"}],
}


class AuthFamilyChangedV1(Message):
    """Private: the whole current state of a family's members, with their names and the children's
    birth dates (not a diff: the latest one wins). booking, dossier and billing keep their copy of the
    children from it (names for the pages and mails, birth dates for the child rank of tariffs).

    Until 0.1 this version was public; it now travels only on portail.internal, and the public
    exchange carries AuthFamilyChangedV2 (identifiers only)."""

    model_config = ConfigDict(json_schema_extra={"examples": [FAMILY_EXAMPLE]})

    TYPE = "auth.family_changed"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = ("Internal only: a family's full current state with its members' names and the children's "
                   "birth dates, for the portal's own services; never contact details.")

    family_id: uuid.UUID
    identifiant: str
    structure_ids: list[uuid.UUID]
    guardians: list[Guardian]
    children: list[Child]
    updated_at: dt.datetime | None = Field(
        default=None, description="The family's version: when auth last changed it (a resync repeats it).")


CONTACTS_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "account_id": "1c6a7f0e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
    "emails": ["jean-paul.dupont@example.fr", "marie.dupont@example.fr"],
    "greeting": "M. DUPONT Jean-Paul",
}


class AuthFamilyContactsV1(Message):
    """Private: the family's e-mail addresses (the first receives payment tickets), for notify."""

    model_config = ConfigDict(json_schema_extra={"examples": [CONTACTS_EXAMPLE]})

    TYPE = "auth.family_contacts"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = "Internal only: a family's e-mail addresses, in order, and how to greet them."

    family_id: uuid.UUID
    account_id: uuid.UUID
    emails: list[EmailStr] = Field(max_length=10, description="May be empty: the family gave none.")
    greeting: str
    updated_at: dt.datetime | None = Field(
        default=None, description="The addresses' version: when auth last changed them (a resync repeats it).")


class ChildRef(BaseModel):
    """A child as other systems may know it: an identifier and the structure it attends."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    child_id: uuid.UUID
    structure_id: uuid.UUID
    households: list[uuid.UUID] = Field(
        default_factory=list, max_length=2,
        description="Shared custody (garde alternée): the child's two households (families), its first family "
                    "first; each books and is billed for its own days. Empty: this family only.")


FAMILY_V2_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_ids": ["9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978"],
    "guardians": 1,
    "children": [{"child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                  "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978"}],
}


class AuthFamilyChangedV2(Message):
    """The whole current composition of a family, by identifiers only (the latest one wins): which
    children, attending which structures. No names, no birth dates, no login, no contact details."""

    model_config = ConfigDict(json_schema_extra={"examples": [FAMILY_V2_EXAMPLE]})

    TYPE = "auth.family_changed"
    VERSION = 2
    DESCRIPTION = ("A family was created or its members changed. Carries the family's current composition "
                   "by identifiers (its structures, its children and theirs, how many responsables); "
                   "never names, birth dates or contact details.")

    family_id: uuid.UUID
    structure_ids: list[uuid.UUID]
    guardians: int = Field(ge=0, le=2, description="How many responsables the family has.")
    children: list[ChildRef]
    updated_at: dt.datetime | None = Field(
        default=None, description="The family's version: when it last changed. A resync republishes the "
                                  "current state with the same version: keep the newest, ignore an older one.")

    @classmethod
    def of(cls, private: AuthFamilyChangedV1) -> AuthFamilyChangedV2:
        """The public view of the private event."""
        return cls(family_id=private.family_id, structure_ids=private.structure_ids,
                   guardians=len(private.guardians),
                   children=[ChildRef(child_id=c.child_id, structure_id=c.structure_id, households=c.households)
                             for c in private.children],
                   updated_at=private.updated_at)
