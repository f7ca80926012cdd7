"""Migration 003 of dossier: the file names stored in clear before it are sealed by the service at
start-up (it alone holds the key), once, and still read back right."""

from __future__ import annotations

import uuid

import asyncpg

from kit import db, migrations
from services.dossier.app import service as dossier
from services.dossier.domain.crypto import Sealer
from services.dossier.service.maintenance import seal_clear_names
from tests.conftest import database_url


async def test_clear_names_of_existing_documents_are_sealed_once(db_prefix):
    url = database_url(db_prefix, "dossier_seal")
    await db.ensure_database(url)
    every = migrations.service_migrations("dossier", dossier.migrations_dir)
    before_003 = [m for m in every if not (m.version.startswith("dossier:") and m.version >= "dossier:003")]
    conn = await asyncpg.connect(url)
    try:
        await migrations.apply(conn, before_003)  # a database as it was, with names in clear
        campaign, sheet = uuid.uuid4(), uuid.uuid4()
        await conn.execute("INSERT INTO campaigns (id, school_year) VALUES ($1, '2026-2027')", campaign)
        await conn.execute("INSERT INTO sheets (id, campaign_id, family_id, kind, subject_key) "
                           "VALUES ($1, $2, $3, 'sanitaire', 'child:x')", sheet, campaign, uuid.uuid4())
        names = {uuid.uuid4(): "ordonnance asthme Léa.pdf", uuid.uuid4(): "carnet.png"}
        for document_id, name in names.items():
            await conn.execute(
                "INSERT INTO documents (id, family_id, sheet_id, kind, mime, size_bytes, storage_key, display_name) "
                "VALUES ($1, $2, $3, 'ordonnance', 'application/pdf', 1, $4, $5)",
                document_id, uuid.uuid4(), sheet, uuid.uuid4().hex, name)
        assert "dossier:003" in await migrations.apply(conn, every)
    finally:
        await conn.close()

    sealer = Sealer(Sealer.generate_key())
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        assert await seal_clear_names(pool, sealer) == 2
        assert await seal_clear_names(pool, sealer) == 0  # idempotent
        rows = await pool.fetch("SELECT id, display_name, name_sealed FROM documents")
        for row in rows:
            assert row["display_name"] is None
            assert b"asthme" not in bytes(row["name_sealed"])
            assert sealer.open(bytes(row["name_sealed"])).decode() == names[row["id"]]
        clear = await pool.fetchval("SELECT count(*) FROM documents WHERE display_name IS NOT NULL")
        assert clear == 0
    finally:
        await pool.close()
