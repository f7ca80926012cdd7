"""The SQL of the rosters (listes de présence): the children asked about, as dossier knows them, the latest
transmitted sheets of the kinds a roster reads (health ones opened from their seal, ADR 0004), and the
contacts those sheets name."""

from __future__ import annotations

import uuid
from collections.abc import Collection

import asyncpg

from services.dossier.domain.sheets import SheetKind

from .records import Child, Contact, Sheet

# the states a sheet is in once the family has transmitted it (never a draft: it is still the family's)
_SHARED = ("transmise", "validee", "refusee")


class RosterQueries:
    conn: asyncpg.Connection

    async def children_by_id(self, child_ids: Collection[uuid.UUID]) -> list[Child]:
        rows = await self.conn.fetch("SELECT * FROM children WHERE id = ANY($1::uuid[])", list(child_ids))
        return [Child(r["id"], r["family_id"], r["first_name"], r["last_name"], r["structure_id"]) for r in rows]

    async def latest_shared_sheets(self, child_ids: Collection[uuid.UUID], kinds: Collection[SheetKind]) -> list[Sheet]:
        """Of each child and kind, the sheet of the latest campaign the family transmitted (then reviewed)."""
        rows = await self.conn.fetch(
            """SELECT DISTINCT ON (s.child_id, s.kind) s.*, c.school_year
               FROM sheets s JOIN campaigns c ON c.id = s.campaign_id
               WHERE s.child_id = ANY($1::uuid[]) AND s.kind = ANY($2::text[]) AND s.state = ANY($3::text[])
               ORDER BY s.child_id, s.kind, c.opened_at DESC, s.submitted_at DESC NULLS LAST""",
            list(child_ids), [k.value for k in kinds], list(_SHARED))
        return [self._sheet(r) for r in rows]  # type: ignore[attr-defined]  # SheetQueries reads a row

    async def contacts_by_id(self, contact_ids: Collection[uuid.UUID]) -> list[Contact]:
        rows = await self.conn.fetch("SELECT * FROM contacts WHERE id = ANY($1::uuid[])", list(contact_ids))
        return [Contact(r["id"], r["family_id"], r["last_name"], r["first_name"], r["address"], r["phone"],
                        r["email"]) for r in rows]
