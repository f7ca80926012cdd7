"""The SQL of what staff see of a family's dossier from its page (the state of each sheet, never its content,
so nothing sealed is opened) and of the search of families by their address (dossier owns it: the family
sheet, once transmitted)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.dossier.domain.sheets import SheetKind
from services.dossier.domain.states import SheetState


@dataclass(frozen=True)
class SheetLine:
    """A sheet as a family's page lists it: what it is about and its state, no content."""

    id: uuid.UUID
    school_year: str
    kind: SheetKind
    child_id: uuid.UUID | None
    structure_id: uuid.UUID | None
    state: SheetState
    submitted_at: datetime | None
    refusal_reason: str | None


class FamilyIndexQueries:
    conn: asyncpg.Connection

    async def sheet_lines(self, campaign_id: uuid.UUID, family_id: uuid.UUID) -> list[SheetLine]:
        rows = await self.conn.fetch(
            """SELECT s.id, c.school_year, s.kind, s.child_id, s.structure_id, s.state, s.submitted_at,
                      s.refusal_reason
               FROM sheets s JOIN campaigns c ON c.id = s.campaign_id
               WHERE s.campaign_id = $1 AND s.family_id = $2 ORDER BY s.child_id NULLS FIRST, s.kind""",
            campaign_id, family_id)
        return [SheetLine(r["id"], r["school_year"], SheetKind(r["kind"]), r["child_id"], r["structure_id"],
                          SheetState(r["state"]), r["submitted_at"], r["refusal_reason"]) for r in rows]

    async def families_at_address(self, text: str, states: list[str], structures: list[uuid.UUID] | None,
                                  limit: int) -> list[uuid.UUID]:
        """The families (of a child of these structures; None: any) whose family sheet in one of `states`
        has an address, postal code or commune containing `text`, case aside (its latest campaign's sheet)."""
        rows = await self.conn.fetch(
            """SELECT family_id FROM (
                 SELECT DISTINCT ON (s.family_id) s.family_id,
                        concat_ws(' ', s.data->>'address', s.data->>'postal_code', s.data->>'city') AS address
                 FROM sheets s JOIN campaigns c ON c.id = s.campaign_id
                 WHERE s.kind = 'famille' AND s.state = ANY($2::text[]) AND s.data IS NOT NULL
                   AND ($3::uuid[] IS NULL OR EXISTS (SELECT 1 FROM children ch WHERE ch.family_id = s.family_id
                                                      AND ch.structure_id = ANY($3::uuid[])))
                 ORDER BY s.family_id, c.opened_at DESC) latest
               WHERE strpos(lower(latest.address), lower($1)) > 0 ORDER BY family_id LIMIT $4""", text, states, structures, limit)
        return [r["family_id"] for r in rows]

    async def family_address(self, family_id: uuid.UUID, states: list[str]) -> dict:
        """The address of the family's latest family sheet in one of `states` (empty when none)."""
        row = await self.conn.fetchrow(
            """SELECT s.data->>'address' AS address, s.data->>'postal_code' AS postal_code, s.data->>'city' AS city
               FROM sheets s JOIN campaigns c ON c.id = s.campaign_id
               WHERE s.kind = 'famille' AND s.family_id = $1 AND s.state = ANY($2::text[]) AND s.data IS NOT NULL
               ORDER BY c.opened_at DESC LIMIT 1""", family_id, states)
        return {k: v for k, v in dict(row).items() if v} if row else {}
