"""The SQL of campaigns and sheets: the open campaign, a family's sheets (read and written sealed when
they hold health data, ADR 0004), last year's sheets that prefill a new campaign, the review queue."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg

from services.dossier.domain.crypto import Sealer
from services.dossier.domain.sheets import HEALTH_KINDS, SheetKind
from services.dossier.domain.states import SheetState

from .records import Campaign, NewSheet, PreviousSheet, ReviewItem, Sheet

_SHEET = "SELECT s.*, c.school_year FROM sheets s JOIN campaigns c ON c.id = s.campaign_id"


class SheetQueries:
    conn: asyncpg.Connection
    sealer: Sealer

    def _open(self, row: asyncpg.Record) -> dict:
        if row["data_sealed"] is not None:
            return json.loads(self.sealer.open(bytes(row["data_sealed"])))
        if row["data"] is not None:
            return json.loads(row["data"]) if isinstance(row["data"], str) else dict(row["data"])
        return {}

    def _sheet(self, row: asyncpg.Record) -> Sheet:
        return Sheet(id=row["id"], campaign_id=row["campaign_id"], school_year=row["school_year"],
                     family_id=row["family_id"], kind=SheetKind(row["kind"]), child_id=row["child_id"],
                     structure_id=row["structure_id"], subject_key=row["subject_key"],
                     state=SheetState(row["state"]), data=self._open(row), refusal_reason=row["refusal_reason"],
                     submitted_at=row["submitted_at"], house_rules_version=row.get("house_rules_version"))

    # -- campaigns ------------------------------------------------------------------------------------------
    async def current_campaign(self) -> Campaign | None:
        row = await self.conn.fetchrow("SELECT id, school_year FROM campaigns ORDER BY opened_at DESC LIMIT 1")
        return Campaign(row["id"], row["school_year"]) if row else None

    async def create_campaign(self, campaign_id: uuid.UUID, school_year: str) -> bool:
        """False when the campaign of that school year exists already."""
        return bool(await self.conn.fetchval(
            "INSERT INTO campaigns (id, school_year) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
            campaign_id, school_year))

    # -- sheets -----------------------------------------------------------------------------------------------
    async def sheet(self, sheet_id: uuid.UUID, lock: bool = False) -> Sheet | None:
        row = await self.conn.fetchrow(f"{_SHEET} WHERE s.id = $1" + (" FOR UPDATE OF s" if lock else ""), sheet_id)
        return self._sheet(row) if row else None

    async def sheets_of(self, campaign_id: uuid.UUID, family_id: uuid.UUID) -> list[Sheet]:
        """The family's sheets, with the sheets of the children it shares with another household."""
        rows = await self.conn.fetch(f"{_SHEET} WHERE s.campaign_id = $1 AND (s.family_id = $2 OR s.child_id IN "
                                     "(SELECT id FROM children WHERE other_family_ids @> ARRAY[$2]::uuid[])) "
                                     "ORDER BY s.child_id NULLS FIRST, s.kind", campaign_id, family_id)
        return [self._sheet(r) for r in rows]

    async def all_sheets_of(self, family_id: uuid.UUID) -> list[Sheet]:
        """Every sheet of the family, of every campaign (the RGPD archive)."""
        rows = await self.conn.fetch(f"{_SHEET} WHERE s.family_id = $1 ORDER BY c.school_year, s.kind", family_id)
        return [self._sheet(r) for r in rows]

    async def subject_keys(self, campaign_id: uuid.UUID, family_id: uuid.UUID) -> set[tuple[str, str]]:
        rows = await self.conn.fetch("SELECT kind, subject_key FROM sheets WHERE campaign_id = $1 AND family_id = $2",
                                     campaign_id, family_id)
        return {(r["kind"], r["subject_key"]) for r in rows}

    async def previous_sheets(self, family_id: uuid.UUID, campaign_id: uuid.UUID) -> dict[tuple[str, str], PreviousSheet]:
        """The latest sheet of each subject of the family in another campaign, its data as stored."""
        rows = await self.conn.fetch(
            """SELECT DISTINCT ON (kind, subject_key) kind, subject_key, state, data::text AS data, data_sealed
               FROM sheets WHERE family_id = $1 AND campaign_id <> $2
               ORDER BY kind, subject_key, updated_at DESC""", family_id, campaign_id)
        return {(r["kind"], r["subject_key"]): PreviousSheet(r["kind"], r["subject_key"], SheetState(r["state"]),
                                                             r["data"], r["data_sealed"]) for r in rows}

    async def add_sheets(self, campaign_id: uuid.UUID, family_id: uuid.UUID, sheets: list[NewSheet]) -> None:
        """The sheets, unless the campaign has them already (two first visits at once add them once)."""
        await self.conn.executemany(
            """INSERT INTO sheets (id, campaign_id, family_id, kind, child_id, structure_id, subject_key, state,
                                   data, data_sealed)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
               ON CONFLICT (campaign_id, family_id, subject_key, kind) DO NOTHING""",
            [(s.id, campaign_id, family_id, s.kind.value, s.child_id, s.structure_id, s.subject_key, s.state.value,
              s.prefill.data_json if s.prefill else None, s.prefill.data_sealed if s.prefill else None)
             for s in sheets])

    async def write_data(self, sheet_id: uuid.UUID, kind: SheetKind, data_json: str) -> None:
        if kind in HEALTH_KINDS:  # health data never lies in clear in the database
            await self.conn.execute(
                "UPDATE sheets SET data = NULL, data_sealed = $2, updated_at = now() WHERE id = $1",
                sheet_id, self.sealer.seal(data_json.encode()))
        else:
            await self.conn.execute(
                "UPDATE sheets SET data = $2::jsonb, data_sealed = NULL, updated_at = now() WHERE id = $1",
                sheet_id, data_json)

    async def set_state(self, sheet_id: uuid.UUID, state: SheetState) -> None:
        await self.conn.execute("UPDATE sheets SET state = $2 WHERE id = $1", sheet_id, state.value)

    async def mark_submitted(self, sheet_id: uuid.UUID, state: SheetState, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE sheets SET state = $2, submitted_at = $3, refusal_reason = NULL WHERE id = $1",
            sheet_id, state.value, at)

    async def mark_reviewed(self, sheet_id: uuid.UUID, state: SheetState, at: datetime, by: str,
                            reason: str | None) -> None:
        await self.conn.execute(
            "UPDATE sheets SET state = $2, reviewed_at = $3, reviewed_by = $4, refusal_reason = $5 WHERE id = $1",
            sheet_id, state.value, at, by, reason)

    async def waiting_for_review(self, campaign_id: uuid.UUID) -> list[ReviewItem]:
        """The transmitted sheets of the campaign, oldest first, with the structures each is about."""
        rows = await self.conn.fetch(
            """SELECT s.id, s.kind, s.family_id, s.child_id, s.state, s.submitted_at, f.identifiant,
                      array_remove(ARRAY(SELECT c.structure_id FROM children c WHERE c.family_id = s.family_id
                                         AND (s.child_id IS NULL OR c.id = s.child_id))
                                   || s.structure_id, NULL) AS structures
               FROM sheets s JOIN families f ON f.id = s.family_id
               WHERE s.campaign_id = $1 AND s.state = 'transmise' ORDER BY s.submitted_at""", campaign_id)
        return [ReviewItem(r["id"], r["kind"], r["family_id"], r["identifiant"], r["child_id"],
                           SheetState(r["state"]), r["submitted_at"], frozenset(r["structures"])) for r in rows]
