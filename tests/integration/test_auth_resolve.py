"""Resolving a session (`POST /v1/sessions/resolve`, asked by the gateway for every signed-in request it has
not kept): the session, its account, the structures the account sees and a parent's pending consents are read
in ONE statement (services/auth/store/sessions.py RESOLVE_SQL), each list in its order (a family's own
structure first, then by name; the consents as before), on the real database. Times are fixed: nothing
depends on today."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.auth.domain.policy import SessionPolicy, token_hash
from services.auth.service import sign_in
from services.auth.store import Store
from tests.conftest import database_url, migrated_pool

NOW = datetime(2031, 9, 1, 8, 30, tzinfo=UTC)


@pytest.fixture
async def pool(db_prefix):
    # one connection, reset as auth's own pool resets it (services/auth/app.py): its statements are the resolve's
    p = await migrated_pool(database_url(db_prefix, "auth_resolve"), "auth", max_size=1, reset_marked_only=True)
    yield p
    await p.close()


async def world(conn) -> dict:
    """Three structures (the family's own comes last by name), a family whose child is in another one, a
    staff member of the third; new RGPD and CGU versions the parent has half accepted; a session each."""
    own, school, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    n = uuid.uuid4().hex[:6]  # the tests share a database: names, logins and identifiants of their own
    for sid, name in ((own, f"Maison de l'enfance Zola {n}"), (school, f"Accueil Anatole France {n}"),
                      (other, f"Centre Brel {n}")):
        await conn.execute("INSERT INTO structures (id, name) VALUES ($1, $2)", sid, name)
    family, parent, staff = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute("INSERT INTO families (id, identifiant, structure_id) VALUES ($1, $2, $3)",
                       family, f"MARTIN-{n}", own)
    await conn.execute("INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id) "
                       "VALUES ($1, $2, 'Léa', 'MARTIN', '2022-03-01', $3)", uuid.uuid4(), family, school)
    await conn.execute("INSERT INTO accounts (id, login, role, family_id, display_name, password_hash, emails, "
                       "must_change_password) VALUES ($1, $2, 'parent', $3, 'Famille MARTIN', 'x', "
                       "ARRAY['martin@example.org'], false)", parent, f"MARTIN-{n}", family)
    await conn.execute("INSERT INTO accounts (id, login, role, display_name, password_hash) "
                       "VALUES ($1, $2, 'staff', 'Agent Brel', 'x')", staff, f"agent.brel.{n}")
    await conn.execute("INSERT INTO staff_structures (account_id, structure_id) VALUES ($1, $2)", staff, other)
    for kind in ("rgpd", "cgu"):
        await conn.execute("INSERT INTO legal_documents (kind, version, title, body_html) "
                           "VALUES ($1, 100, $2, '<p>Nouvelle version</p>') ON CONFLICT DO NOTHING", kind, f"{kind.upper()} 2031")
    await conn.execute("INSERT INTO consents (account_id, kind, version) VALUES ($1, 'cgu', 100)", parent)
    tokens = {}
    for who, account in (("parent", parent), ("staff", staff)):
        tokens[who] = f"jeton-{who}-{uuid.uuid4()}"
        await conn.execute("INSERT INTO sessions (id, token_hash, account_id, csrf_token, structure_id, created_at, "
                           "last_seen_at) VALUES ($1, $2, $3, 'csrf', NULL, $4, $4)",
                           uuid.uuid4(), token_hash(tokens[who]), account, NOW - timedelta(seconds=20))
    return {"own": own, "school": school, "other": other, "family": family, "tokens": tokens}


async def resolved(pool, token: str) -> tuple[dict | None, list[str]]:
    """The resolve's answer and the statements it sent."""
    await sign_in.resolve(Store(pool), SessionPolicy(), token, clock=lambda: NOW)  # the connection's first time:
    # asyncpg introspects the statement's types once (its own queries), and the statement is prepared
    logged: list = []  # asyncpg's LoggedQuery records
    async with pool.acquire() as conn:
        conn.add_query_logger(logged.append)
    try:
        answer = await sign_in.resolve(Store(pool), SessionPolicy(), token, clock=lambda: NOW)
    finally:
        async with pool.acquire() as conn:
            conn.remove_query_logger(logged.append)
    return answer, [record.query for record in logged]


async def test_a_parents_session_is_resolved_in_one_statement_with_its_structures_and_pending_consents(pool):
    async with pool.acquire() as conn:
        w = await world(conn)
    answer, statements = await resolved(pool, w["tokens"]["parent"])
    assert len(statements) == 1, statements  # seen 20 s ago: no touch, nothing else
    assert answer is not None and answer["role"] == "parent" and answer["family_id"] == str(w["family"])
    assert answer["emails"] == ["martin@example.org"] and answer["must_change_password"] is False
    # the family's own structure first (the one shown after sign-in), then the child's
    assert [s["id"] for s in answer["structures"]] == [str(w["own"]), str(w["school"])]
    assert answer["current_structure_id"] == str(w["own"])
    assert answer["structures"][0]["name"].startswith("Maison de l'enfance Zola")
    # the CGU's new version was accepted, the RGPD's was not
    assert answer["pending_consents"] == [{"kind": "rgpd", "version": 100, "title": "RGPD 2031"}]


async def test_a_staff_session_sees_its_structures_and_no_consents_and_a_dead_one_is_deleted(pool):
    async with pool.acquire() as conn:
        w = await world(conn)
    answer, statements = await resolved(pool, w["tokens"]["staff"])
    assert len(statements) == 1, statements
    assert answer is not None and [s["id"] for s in answer["structures"]] == [str(w["other"])]
    assert answer["pending_consents"] == [] and answer["family_id"] is None
    assert (await resolved(pool, "jeton-inconnu"))[0] is None
    async with pool.acquire() as conn:  # idle for longer than the timeout: refused and deleted
        await conn.execute("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2", NOW - timedelta(hours=1),
                           token_hash(w["tokens"]["staff"]))
    assert (await resolved(pool, w["tokens"]["staff"]))[0] is None
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM sessions WHERE token_hash = $1",
                                   token_hash(w["tokens"]["staff"])) == 0
