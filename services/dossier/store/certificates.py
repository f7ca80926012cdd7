"""Medical certificates' SQL (declared absences, issue 19): a row lists the sealed file kept in the storage,
its name sealed too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Certificate:
    id: uuid.UUID
    family_id: uuid.UUID
    child_id: uuid.UUID
    mime: str
    size_bytes: int
    storage_key: str
    name: str
    structure_id: uuid.UUID | None = None  # the child's


class CertificateQueries:
    conn: asyncpg.Connection

    async def add_certificate(self, c: Certificate) -> None:
        await self.conn.execute(
            """INSERT INTO medical_certificates (id, family_id, child_id, mime, size_bytes, storage_key, name_sealed)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""", c.id, c.family_id, c.child_id, c.mime, c.size_bytes,
            c.storage_key, self.sealer.seal(c.name.encode("utf-8")))

    async def certificate(self, certificate_id: uuid.UUID) -> Certificate | None:
        r = await self.conn.fetchrow(
            """SELECT m.id, m.family_id, m.child_id, m.mime, m.size_bytes, m.storage_key, m.name_sealed,
                      c.structure_id
               FROM medical_certificates m LEFT JOIN children c ON c.id = m.child_id WHERE m.id = $1""",
            certificate_id)
        if r is None:
            return None
        return Certificate(r["id"], r["family_id"], r["child_id"], r["mime"], r["size_bytes"], r["storage_key"],
                           self.sealer.open(r["name_sealed"]).decode("utf-8"), r["structure_id"])

    async def child_family(self, child_id: uuid.UUID) -> uuid.UUID | None:
        return await self.conn.fetchval("SELECT family_id FROM children WHERE id = $1", child_id)
