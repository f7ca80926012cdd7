"""The SQL of supporting documents: their rows (the bytes are in the storage), with the file name the
family gave sealed like the file (a name may say what the file is, ADR 0004)."""

from __future__ import annotations

import uuid

import asyncpg

from services.dossier.domain.crypto import Sealer
from services.dossier.domain.documents import DocumentKind
from services.dossier.domain.states import SheetState

from .records import Document, SheetDocument


class DocumentQueries:
    conn: asyncpg.Connection
    sealer: Sealer

    def _document(self, row: asyncpg.Record) -> Document:
        if row["name_sealed"] is not None:
            name = self.sealer.open(bytes(row["name_sealed"])).decode("utf-8")
        else:
            name = row["display_name"] or "document"  # not sealed yet (sealed at start-up: names.py)
        return Document(id=row["id"], family_id=row["family_id"], sheet_id=row["sheet_id"], kind=row["kind"],
                        mime=row["mime"], size_bytes=row["size_bytes"], storage_key=row["storage_key"], name=name,
                        uploaded_at=row["uploaded_at"])

    async def documents_of_sheet(self, sheet_id: uuid.UUID) -> list[Document]:
        rows = await self.conn.fetch("SELECT * FROM documents WHERE sheet_id = $1 ORDER BY kind, uploaded_at",
                                     sheet_id)
        return [self._document(r) for r in rows]

    async def documents_of_family(self, family_id: uuid.UUID) -> list[Document]:
        rows = await self.conn.fetch("SELECT * FROM documents WHERE family_id = $1 ORDER BY uploaded_at", family_id)
        return [self._document(r) for r in rows]

    async def document_counts(self, sheet_id: uuid.UUID) -> dict[DocumentKind, int]:
        """How many files each document of the sheet holds."""
        rows = await self.conn.fetch("SELECT kind, count(*) AS n FROM documents WHERE sheet_id = $1 GROUP BY kind",
                                     sheet_id)
        return {DocumentKind(r["kind"]): r["n"] for r in rows}

    async def document(self, document_id: uuid.UUID, lock: bool = False) -> SheetDocument | None:
        row = await self.conn.fetchrow(
            "SELECT d.*, s.state, s.child_id, s.structure_id AS sheet_structure_id FROM documents d "
            "JOIN sheets s ON s.id = d.sheet_id WHERE d.id = $1" + (" FOR UPDATE OF d" if lock else ""), document_id)
        if row is None:
            return None
        return SheetDocument(self._document(row), SheetState(row["state"]), row["child_id"],
                             row["sheet_structure_id"])

    async def add_document(self, document: Document) -> None:
        await self.conn.execute(
            """INSERT INTO documents (id, family_id, sheet_id, kind, mime, size_bytes, storage_key, name_sealed)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""", document.id, document.family_id, document.sheet_id,
            document.kind, document.mime, document.size_bytes, document.storage_key,
            self.sealer.seal(document.name.encode("utf-8")))

    async def delete_document(self, document_id: uuid.UUID) -> None:
        await self.conn.execute("DELETE FROM documents WHERE id = $1", document_id)

    async def seal_clear_names(self, batch: int) -> int:
        """Seal up to `batch` file names stored in clear (before migration 003); how many were sealed."""
        rows = await self.conn.fetch("SELECT id, display_name FROM documents WHERE display_name IS NOT NULL "
                                     "LIMIT $1 FOR UPDATE SKIP LOCKED", batch)
        await self.conn.executemany(
            "UPDATE documents SET name_sealed = $2, display_name = NULL WHERE id = $1",
            [(r["id"], self.sealer.seal(r["display_name"].encode("utf-8"))) for r in rows])
        return len(rows)
