"""Structures and the texts auth owns: the list with the news (cleaned on the way out too), a new
structure, its news, the legal texts (RGPD, CGU) and their new versions."""

from __future__ import annotations

import uuid

from contracts.errors import NotFound
from kit.outbox import Producer
from services.auth.domain.news import clean_html
from services.auth.service import Refused
from services.auth.service import facts as publish

LEGAL_KINDS = ("rgpd", "cgu")


async def structures_with_news(store) -> list[dict]:
    async with store.connection() as conn:
        rows = await store.all_structures(conn)
    # cleaned again on the way out: news stored before they were cleaned on the way in
    return [{"id": str(s.id), "name": s.name, "news_html": clean_html(s.news_html),
             "updated_at": s.updated_at.isoformat()} for s in rows]


async def create_structure(store, producer: Producer, name: str) -> uuid.UUID:
    structure_id = uuid.uuid4()
    name = name.strip()
    async with store.transaction() as conn:
        if await store.structure_name_taken(conn, name):
            raise Refused(409, "Conflit", f"Une structure « {name} » existe déjà.")
        await store.insert_structure(conn, structure_id, name)
        await publish.structure_changed(conn, store, producer, structure_id)
    return structure_id


async def update_news(store, producer: Producer, structure_id: uuid.UUID, news_html: str) -> None:
    news_html = clean_html(news_html)  # whatever path they came by (page form or JSON API)
    async with store.transaction() as conn:
        if not await store.set_news(conn, structure_id, news_html):
            raise NotFound("Structure introuvable.")
        await publish.structure_changed(conn, store, producer, structure_id)


async def current_legal(store) -> list[dict]:
    async with store.connection() as conn:
        documents = await store.current_legal(conn)
    return [{"kind": d.kind, "version": d.version, "title": d.title, "body_html": clean_html(d.body_html),
             "published_at": d.published_at.isoformat()} for d in documents]


async def publish_legal(store, kind: str, title: str, body_html: str) -> int:
    if kind not in LEGAL_KINDS:
        raise NotFound("Document inconnu.")
    async with store.transaction() as conn:
        return await store.publish_legal(conn, kind, title, clean_html(body_html))  # shown on the consent page
