"""Versioned SQL migrations: files NNN_name.sql applied in order, recorded, safe to run twice."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from kit.logging import get_logger

log = get_logger(__name__)

KIT_SQL = Path(__file__).parent / "sql"
_LOCK_KEY = 0x504F5254  # "PORT": one migrator at a time per database


@dataclass(frozen=True)
class Migration:
    version: str  # "kit:001" or "booking:001"
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path, namespace: str) -> list[Migration]:
    """The migrations of `directory`, in numeric order (9_x before 10_y). A file not named
    NNN_description.sql, or two files with the same number, is an error: both would otherwise
    be applied in a surprising order or recorded under one version."""
    found: list[tuple[int, Path, str, str]] = []
    for path in directory.glob("*.sql"):
        number, _, rest = path.stem.partition("_")
        if not (number.isascii() and number.isdigit()) or not rest:
            raise ValueError(f"migration file {path} must be named NNN_description.sql")
        found.append((int(number), path, number, rest))
    found.sort(key=lambda f: (f[0], f[1].name))
    for (n1, p1, *_), (n2, p2, *_) in itertools.pairwise(found):
        if n1 == n2:
            raise ValueError(f"migrations {p1.name} and {p2.name} have the same number")
    return [Migration(f"{namespace}:{number}", rest, path.read_text(encoding="utf-8"))
            for _, path, number, rest in found]


class MigrationChanged(RuntimeError):
    pass


async def apply(conn: asyncpg.Connection, migrations: list[Migration]) -> list[str]:
    """Apply what has not been applied yet, each in its own transaction. Returns the versions applied."""
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version text PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["version"]: r["checksum"] for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")}
        applied = []
        for m in migrations:
            if m.version in done:
                if done[m.version] != m.checksum:
                    raise MigrationChanged(f"migration {m.version} ({m.name}) was edited after being applied")
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    m.version, m.name, m.checksum,
                )
            log.info("migration applied", version=m.version, migration=m.name)
            applied.append(m.version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


def service_migrations(service: str, directory: Path) -> list[Migration]:
    """The kit's own tables (outbox, inbox) first, then the service's."""
    return discover(KIT_SQL, "kit") + discover(directory, service)
