"""The family's sheets for the open campaign: created (prefilled from last year) when first needed,
read and written sealed when they hold health data, moved through their states."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from pydantic import BaseModel, ValidationError

from services.dossier.domain.crypto import Sealer
from services.dossier.domain.documents import DOCUMENT_LABELS, required_documents
from services.dossier.domain.sheets import (
    CHILD_KINDS,
    HEALTH_KINDS,
    LABELS,
    SheetKind,
    missing_for_submission,
    parse,
)
from services.dossier.domain.states import STATE_LABELS, SheetState

CHILD_ORDER = (SheetKind.ASSURANCE, SheetKind.AUTORISATIONS, SheetKind.CONTACTS, SheetKind.SANITAIRE,
               SheetKind.REGLEMENT)


@dataclass(frozen=True)
class Subject:
    kind: SheetKind
    key: str
    child_id: uuid.UUID | None = None
    structure_id: uuid.UUID | None = None


async def current_campaign(conn) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, school_year FROM campaigns ORDER BY opened_at DESC LIMIT 1")


async def subjects_of(conn, family_id: uuid.UUID) -> list[Subject]:
    family = await conn.fetchrow("SELECT guardians::text AS guardians FROM families WHERE id = $1", family_id)
    children = await conn.fetch("SELECT id, structure_id FROM children WHERE family_id = $1 ORDER BY birth_date",
                                family_id)
    subjects = [Subject(SheetKind.FAMILLE, "family")]
    for guardian in json.loads(family["guardians"]) if family else []:
        if guardian["rank"] == 2:
            subjects.append(Subject(SheetKind.AUTRE_RESPONSABLE, f"guardian:{guardian['guardian_id']}"))
    for child in children:
        for kind in CHILD_ORDER:
            key = f"child:{child['id']}" + (f":{child['structure_id']}" if kind == SheetKind.REGLEMENT else "")
            subjects.append(Subject(kind, key, child["id"],
                                    child["structure_id"] if kind == SheetKind.REGLEMENT else None))
    return subjects


async def ensure_sheets(conn, campaign_id: uuid.UUID, family_id: uuid.UUID) -> None:
    """Every sheet of the campaign exists, "à remplir", prefilled with last year's data."""
    for subject in await subjects_of(conn, family_id):
        await conn.execute(
            """INSERT INTO sheets (id, campaign_id, family_id, kind, child_id, structure_id, subject_key, data,
                                   data_sealed)
               SELECT $1, $2, $3, $4, $5, $6, $7, prev.data, prev.data_sealed
               FROM (SELECT NULL) AS one
               LEFT JOIN LATERAL (SELECT data, data_sealed FROM sheets
                                  WHERE family_id = $3 AND subject_key = $7 AND kind = $4 AND campaign_id <> $2
                                  ORDER BY updated_at DESC LIMIT 1) AS prev ON true
               ON CONFLICT (campaign_id, family_id, subject_key, kind) DO NOTHING""",
            uuid.uuid4(), campaign_id, family_id, subject.kind.value, subject.child_id, subject.structure_id,
            subject.key)


def read_data(row: asyncpg.Record, sealer: Sealer) -> dict:
    if row["data_sealed"] is not None:
        return json.loads(sealer.open(bytes(row["data_sealed"])))
    if row["data"] is not None:
        return json.loads(row["data"]) if isinstance(row["data"], str) else dict(row["data"])
    return {}


async def write_data(conn, sheet_id: uuid.UUID, kind: SheetKind, model: BaseModel, sealer: Sealer) -> None:
    text = model.model_dump_json(exclude_none=False)
    if kind in HEALTH_KINDS:  # health data never lies in clear in the database
        await conn.execute("UPDATE sheets SET data = NULL, data_sealed = $2, updated_at = now() WHERE id = $1",
                           sheet_id, sealer.seal(text.encode()))
    else:
        await conn.execute("UPDATE sheets SET data = $2::jsonb, data_sealed = NULL, updated_at = now() WHERE id = $1",
                           sheet_id, text)


def lenient(kind: SheetKind, data: dict) -> BaseModel:
    try:
        return parse(kind, data)
    except ValidationError:
        return parse(kind, {})


async def missing(conn, row: asyncpg.Record, model: BaseModel) -> list[str]:
    kind = SheetKind(row["kind"])
    found = list(missing_for_submission(kind, model))
    present = {r["kind"] for r in await conn.fetch("SELECT DISTINCT kind FROM documents WHERE sheet_id = $1",
                                                   row["id"])}
    for needed in required_documents(kind, model):
        if needed.value not in present:
            found.append(f"Pièce à joindre : {DOCUMENT_LABELS[needed]}")
    return found


def label(row: asyncpg.Record, children: dict) -> str:
    kind = SheetKind(row["kind"])
    child = children.get(row["child_id"])
    return f"{LABELS[kind]} — {child['first_name']}" if child and kind in CHILD_KINDS else LABELS[kind]


async def summary(conn, row: asyncpg.Record, sealer: Sealer, children: dict) -> dict:
    model = lenient(SheetKind(row["kind"]), read_data(row, sealer))
    state = SheetState(row["state"])
    return {"id": str(row["id"]), "kind": row["kind"], "label": label(row, children),
            "child_id": str(row["child_id"]) if row["child_id"] else None,
            "structure_id": str(row["structure_id"]) if row["structure_id"] else None,
            "state": state.value, "state_label": STATE_LABELS[state], "refusal_reason": row["refusal_reason"],
            "missing": await missing(conn, row, model)}


def now_utc() -> datetime:
    return datetime.now(UTC)
