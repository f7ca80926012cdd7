"""The one read only the demo data need (services/dossier/demo.py): a demo family found by its identifiant
in dossier's projection of auth's facts, with its children (they travel in the same event)."""

from __future__ import annotations

import uuid

import asyncpg


async def family_with_children(conn: asyncpg.Connection, identifiant: str) -> uuid.UUID | None:
    """The family's id once auth's facts have arrived (the family and at least one child), else None."""
    return await conn.fetchval("SELECT f.id FROM families f WHERE f.identifiant = $1 "
                               "AND EXISTS (SELECT 1 FROM children c WHERE c.family_id = f.id)", identifiant)
