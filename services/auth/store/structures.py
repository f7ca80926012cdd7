"""The SQL of structures (their news) and of the legal texts (RGPD, CGU)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = [
    "LegalDocument",
    "Structure",
    "all_structures",
    "current_legal",
    "insert_structure",
    "known_structures",
    "publish_legal",
    "set_news",
    "structure",
    "structure_ids",
    "structure_name_taken",
]


@dataclass(frozen=True)
class Structure:
    id: uuid.UUID
    name: str
    news_html: str
    updated_at: datetime


def _structure(row: asyncpg.Record) -> Structure:
    return Structure(row["id"], row["name"], row["news_html"], row["updated_at"])


async def all_structures(conn: asyncpg.Connection) -> list[Structure]:
    """By name."""
    return [_structure(r) for r in await conn.fetch(
        "SELECT id, name, news_html, updated_at FROM structures ORDER BY name")]


async def structure(conn: asyncpg.Connection, structure_id: uuid.UUID) -> Structure | None:
    row = await conn.fetchrow("SELECT id, name, news_html, updated_at FROM structures WHERE id = $1", structure_id)
    return _structure(row) if row else None


async def structure_name_taken(conn: asyncpg.Connection, name: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM structures WHERE lower(name) = lower($1)", name))


async def insert_structure(conn: asyncpg.Connection, structure_id: uuid.UUID, name: str, news_html: str = "",
                           *, if_new: bool = False) -> bool:
    """`if_new`: nothing when a structure has this id (demo data). True when created."""
    return bool(await conn.fetchval(
        f"INSERT INTO structures (id, name, news_html) VALUES ($1, $2, $3) "
        f"{'ON CONFLICT (id) DO NOTHING' if if_new else ''} RETURNING true", structure_id, name, news_html))


async def set_news(conn: asyncpg.Connection, structure_id: uuid.UUID, news_html: str) -> bool:
    """False when there is no such structure."""
    done = await conn.execute("UPDATE structures SET news_html = $2, updated_at = now() WHERE id = $1",
                              structure_id, news_html)
    return done != "UPDATE 0"


async def known_structures(conn: asyncpg.Connection, structure_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these ids that are structures."""
    return {r["id"] for r in await conn.fetch("SELECT id FROM structures WHERE id = ANY($1)", structure_ids)}


@dataclass(frozen=True)
class LegalDocument:
    kind: str
    version: int
    title: str
    body_html: str
    published_at: datetime


async def current_legal(conn: asyncpg.Connection) -> list[LegalDocument]:
    """The latest version of each kind."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (kind) kind, version, title, body_html, published_at FROM legal_documents
           ORDER BY kind, version DESC""")
    return [LegalDocument(r["kind"], r["version"], r["title"], r["body_html"], r["published_at"]) for r in rows]


async def publish_legal(conn: asyncpg.Connection, kind: str, title: str, body_html: str) -> int:
    """A new version of the text, numbered after the last one; returns its version."""
    await conn.execute("LOCK TABLE legal_documents IN SHARE ROW EXCLUSIVE MODE")
    return await conn.fetchval(
        """INSERT INTO legal_documents (kind, version, title, body_html)
           SELECT $1, coalesce(max(version), 0) + 1, $2, $3 FROM legal_documents WHERE kind = $1
           RETURNING version""", kind, title, body_html)


async def structure_ids(conn: asyncpg.Connection, structure_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """This structure's id if it exists, or every structure's (by name)."""
    if structure_id is not None:
        return [r["id"] for r in await conn.fetch("SELECT id FROM structures WHERE id = $1", structure_id)]
    return [r["id"] for r in await conn.fetch("SELECT id FROM structures ORDER BY name")]
