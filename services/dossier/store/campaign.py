"""The SQL of the staff's follow-up of a campaign: the règlements intérieurs published per structure and
school year (the file in the storage, the row here), the règlement sheets a new version sends back to be
signed, each family's sheets as a structure counts them, and the reminders sent."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from services.dossier.domain.states import SheetState

# A family's sheets as a structure counts them: its own sheets, its children's in the structure, and its
# règlements for the structure. Families with a child in the structure, with no sheet yet included.
_STRUCTURE_SHEETS = """
WITH fam AS (SELECT DISTINCT family_id FROM children WHERE structure_id = $2)
SELECT fam.family_id, f.identifiant, f.guardians::text AS guardians, s.kind, s.state
FROM fam JOIN families f ON f.id = fam.family_id
LEFT JOIN sheets s ON s.family_id = fam.family_id AND s.campaign_id = $1
     AND (s.child_id IS NULL
          OR (s.kind = 'reglement' AND s.structure_id = $2)
          OR (s.kind <> 'reglement' AND EXISTS (SELECT 1 FROM children c
                                                WHERE c.id = s.child_id AND c.structure_id = $2)))
ORDER BY f.identifiant, s.kind"""


@dataclass(frozen=True)
class HouseRules:
    id: uuid.UUID
    structure_id: uuid.UUID
    school_year: str
    version: int
    storage_key: str
    size_bytes: int
    file_name: str
    uploaded_by: str
    uploaded_at: datetime | None = None


@dataclass(frozen=True)
class SignedRules:
    """A règlement sheet of a structure and school year, with the version it signed."""

    sheet_id: uuid.UUID
    state: SheetState
    version: int | None


@dataclass
class FamilyProgress:
    family_id: uuid.UUID
    identifiant: str
    name: str
    sheets: list[tuple[str, SheetState]]
    last_reminded_on: date | None = None


def _rules(r: asyncpg.Record) -> HouseRules:
    return HouseRules(r["id"], r["structure_id"], r["school_year"], r["version"], r["storage_key"], r["size_bytes"],
                      r["file_name"], r["uploaded_by"], r["uploaded_at"])


def _name(guardians_json: str | None) -> str:
    first = next((g for g in json.loads(guardians_json or "[]") if g.get("rank") == 1), None)
    return f"{first['last_name'].upper()} {first['first_name']}" if first else ""


class CampaignQueries:
    conn: asyncpg.Connection

    # -- the règlements intérieurs -------------------------------------------------------------------------------
    async def lock_house_rules(self, structure_id: uuid.UUID, school_year: str) -> int | None:
        """Lock the versions of a structure and school year (two uploads at once number themselves one after
        the other) and return the latest."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"house_rules:{structure_id}:{school_year}")
        return await self.conn.fetchval("SELECT max(version) FROM house_rules WHERE structure_id = $1 "
                                        "AND school_year = $2", structure_id, school_year)

    async def add_house_rules(self, rules: HouseRules) -> None:
        await self.conn.execute(
            """INSERT INTO house_rules (id, structure_id, school_year, version, storage_key, size_bytes, file_name,
                                        uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            rules.id, rules.structure_id, rules.school_year, rules.version, rules.storage_key, rules.size_bytes,
            rules.file_name, rules.uploaded_by, rules.uploaded_at)

    async def house_rules(self, rules_id: uuid.UUID) -> HouseRules | None:
        row = await self.conn.fetchrow("SELECT * FROM house_rules WHERE id = $1", rules_id)
        return _rules(row) if row else None

    async def current_house_rules(self, structure_id: uuid.UUID, school_year: str) -> HouseRules | None:
        row = await self.conn.fetchrow("SELECT * FROM house_rules WHERE structure_id = $1 AND school_year = $2 "
                                       "ORDER BY version DESC LIMIT 1", structure_id, school_year)
        return _rules(row) if row else None

    async def house_rules_of(self, structure_id: uuid.UUID) -> list[HouseRules]:
        """Every version published for the structure, the latest school year and version first."""
        rows = await self.conn.fetch("SELECT * FROM house_rules WHERE structure_id = $1 "
                                     "ORDER BY school_year DESC, version DESC", structure_id)
        return [_rules(r) for r in rows]

    async def rules_structures_of(self, family_id: uuid.UUID) -> set[uuid.UUID]:
        """The structures the family has a règlement sheet for (in any campaign)."""
        return {r[0] for r in await self.conn.fetch(
            "SELECT DISTINCT structure_id FROM sheets WHERE family_id = $1 AND kind = 'reglement' "
            "AND structure_id IS NOT NULL", family_id)}

    async def rules_sheets(self, structure_id: uuid.UUID, school_year: str) -> list[SignedRules]:
        rows = await self.conn.fetch(
            """SELECT s.id, s.state, s.house_rules_version FROM sheets s JOIN campaigns c ON c.id = s.campaign_id
               WHERE s.kind = 'reglement' AND s.structure_id = $1 AND c.school_year = $2 FOR UPDATE OF s""",
            structure_id, school_year)
        return [SignedRules(r["id"], SheetState(r["state"]), r["house_rules_version"]) for r in rows]

    async def set_house_rules_version(self, sheet_id: uuid.UUID, version: int | None) -> None:
        await self.conn.execute("UPDATE sheets SET house_rules_version = $2 WHERE id = $1", sheet_id, version)

    async def unsign(self, sheet_id: uuid.UUID, data_json: str) -> None:
        """The sheet back to « À remplir », its signature gone: it is no longer a signed règlement."""
        await self.conn.execute(
            """UPDATE sheets SET state = $2, data = $3::jsonb, data_sealed = NULL, house_rules_version = NULL,
                      submitted_at = NULL, reviewed_at = NULL, reviewed_by = NULL, refusal_reason = NULL,
                      updated_at = now() WHERE id = $1""", sheet_id, SheetState.TO_FILL.value, data_json)

    # -- the campaign's progress and the reminders ------------------------------------------------------------------
    async def structure_name(self, structure_id: uuid.UUID) -> str | None:
        return await self.conn.fetchval("SELECT name FROM structures WHERE id = $1", structure_id)

    async def structure_progress(self, campaign_id: uuid.UUID, structure_id: uuid.UUID) -> list[FamilyProgress]:
        """The families of the structure with their sheets that count for it and their last reminder."""
        found: dict[uuid.UUID, FamilyProgress] = {}
        for r in await self.conn.fetch(_STRUCTURE_SHEETS, campaign_id, structure_id):
            family = found.setdefault(r["family_id"], FamilyProgress(r["family_id"], r["identifiant"],
                                                                     _name(r["guardians"]), []))
            if r["kind"] is not None:
                family.sheets.append((r["kind"], SheetState(r["state"])))
        for r in await self.conn.fetch("SELECT family_id, max(reminded_on) AS last FROM reminders "
                                       "WHERE campaign_id = $1 AND family_id = ANY($2::uuid[]) GROUP BY family_id",
                                       campaign_id, list(found)):
            found[r["family_id"]].last_reminded_on = r["last"]
        return list(found.values())

    async def record_reminder(self, campaign_id: uuid.UUID, family_id: uuid.UUID, day: date,
                              structure_id: uuid.UUID, by: str, at: datetime) -> bool:
        """False when the family was reminded that day already (by anyone): nothing is sent twice."""
        return bool(await self.conn.fetchval(
            """INSERT INTO reminders (campaign_id, family_id, reminded_on, structure_id, reminded_by, reminded_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
            campaign_id, family_id, day, structure_id, by, at))
