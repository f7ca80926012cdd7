"""Resync, backfill and the consistency check on the real PostgreSQL and RabbitMQ, the five services
running: projections broken on purpose are found by the check and repaired by a resync; a stale event
changes no consumer's projection (one freshness rule everywhere); a subscriber bound late gets the whole
current state from a resync."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import aio_pika
import asyncpg
import pytest

from contracts import wrap
from contracts.auth import AuthFamilyChangedV1, AuthFamilyContactsV1, AuthStructureChangedV1, Child, Guardian
from contracts.booking import BookingStateV1
from contracts.dossier import DossierFamilyUpdatedV1, DossierHouseRulesSignedV1
from kit import bus
from services.auth import demo
from services.auth import events as auth_resync
from services.auth.app import service as auth
from services.billing.app import service as billing
from services.booking import events as booking_resync
from services.booking.app import service as booking
from services.dossier import events as dossier_events
from services.dossier.app import service as dossier
from services.dossier.domain.crypto import Sealer
from services.notify.app import service as notify
from tests.conftest import SECRET, database_url, eventually, running
from tools.consistency import run_check

CARTEVILLE = demo.DEMO_STRUCTURE_ID
ROOT = Path(__file__).resolve().parents[2]
# fixed instants: no test depends on today's date
SIGNED = dt.datetime(2026, 8, 28, 19, 4, tzinfo=dt.UTC)
REVIEWED = dt.datetime(2026, 9, 2, 9, 30, tzinfo=dt.UTC)
TRANSMITTED = dt.datetime(2026, 9, 8, 1, 0, tzinfo=dt.UTC)


class Stack:
    def __init__(self, prefix: str, amqp_url: str):
        self.prefix, self.amqp_url = prefix, amqp_url
        self.pools: dict[str, asyncpg.Pool] = {}

    def db(self, name: str) -> str:
        return database_url(self.prefix, name)

    def __getitem__(self, name: str) -> asyncpg.Pool:
        return self.pools[name]


@pytest.fixture(scope="module")
async def stack(module_amqp_url, db_prefix, tmp_path_factory):
    # a virtual host of its own: the checks below count every row a consumer holds
    amqp_url = module_amqp_url
    prefix = f"{db_prefix}rs{uuid.uuid4().hex[:4]}_"
    s = Stack(prefix, amqp_url)
    async with AsyncExitStack() as exits:
        await exits.enter_async_context(running(notify, amqp_url, prefix, smtp_port=1))
        await exits.enter_async_context(running(booking, amqp_url, prefix))
        await exits.enter_async_context(running(billing, amqp_url, prefix, public_url="http://127.0.0.1:1"))
        await exits.enter_async_context(running(dossier, amqp_url, prefix, dossier_key=Sealer.generate_key(),
                                                documents_dir=tmp_path_factory.mktemp("documents")))
        await exits.enter_async_context(running(auth, amqp_url, prefix))
        for name in ("auth", "booking", "billing", "dossier", "notify"):
            s.pools[name] = await asyncpg.create_pool(s.db(name), min_size=1, max_size=3)
            exits.push_async_callback(s.pools[name].close)
        await demo.load(None, s["auth"])
        await seed_owner_facts(s)
        # everything published: each owner's outbox empty, each consumer's copy filled
        await resync_all(s)
        await eventually(lambda: s["billing"].fetchval("SELECT count(*) = 1 FROM consumptions"), timeout=30)
        yield s


async def seed_owner_facts(s: Stack) -> None:
    """Facts of dossier (a validated quotient, a signed règlement intérieur) and of booking (a transmitted
    accepted booking), written in their owners' own databases as their services would."""
    family = await s["auth"].fetchrow("SELECT id FROM families WHERE identifiant = 'DUPONT-0042'")
    child = await s["auth"].fetchrow("SELECT id, structure_id FROM children WHERE first_name = 'Léa'")
    s.family_id, s.child_id = family["id"], child["id"]
    async with s["dossier"].acquire() as conn, conn.transaction():
        campaign = uuid.uuid4()
        await conn.execute("INSERT INTO campaigns (id, school_year) VALUES ($1, '2026-2027')", campaign)
        await conn.execute(
            """INSERT INTO sheets (id, campaign_id, family_id, kind, subject_key, state, data, submitted_at,
                                   reviewed_at) VALUES ($1, $2, $3, 'famille', 'family', 'validee', $4::jsonb, $5, $6)""",
            uuid.uuid4(), campaign, s.family_id, json.dumps({"family_quotient": 642, "allocataire_regime": "CAF"}),
            REVIEWED, REVIEWED)
        await conn.execute(
            """INSERT INTO sheets (id, campaign_id, family_id, kind, child_id, structure_id, subject_key, state,
                                   submitted_at) VALUES ($1, $2, $3, 'reglement', $4, $5, $6, 'transmise', $7)""",
            uuid.uuid4(), campaign, s.family_id, s.child_id, CARTEVILLE, f"child:{s.child_id}:{CARTEVILLE}", SIGNED)
    async with s["booking"].acquire() as conn, conn.transaction():
        activity, session, s.booking_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await conn.execute("INSERT INTO activities (id, structure_id, name, start_time, end_time) "
                           "VALUES ($1, $2, 'REPAS SCOLAIRE', '11:30', '13:30')", activity, CARTEVILLE)
        await conn.execute("INSERT INTO sessions (id, activity_id, day, start_time, end_time, taken) "
                           "VALUES ($1, $2, '2026-09-10', '11:30', '13:30', 1)", session, activity)
        await conn.execute(
            """INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, status, transmitted)
               VALUES ($1, $2, $3, $4, $5, '2026-09-10', 'accepted', true)""",
            s.booking_id, session, activity, s.child_id, s.family_id)
        await conn.execute("INSERT INTO movements (booking_id, family_id, kind, outcome, created_at, transmission_id) "
                           "VALUES ($1, $2, 'reserve', 'accepted', $3, $4)", s.booking_id, s.family_id, TRANSMITTED,
                           uuid.uuid4())


async def resync_all(s: Stack) -> None:
    """What `python -m services.<owner> resync --all` does, for the three owners; then wait until their
    events have left and been applied (each owner's outbox empty, each consumer idle)."""
    await auth_resync.resync(s["auth"])
    await dossier_events.resync(s["dossier"])
    await booking_resync.resync(s["booking"])
    for owner in ("auth", "dossier", "booking"):
        await eventually(lambda o=owner: s[o].fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"),
                         timeout=30)
    await settled(s)


async def settled(s: Stack) -> None:
    """The consumers' queues are empty (every event applied)."""
    connection = await aio_pika.connect(s.amqp_url)
    async with connection:
        channel = await connection.channel()

        async def empty() -> bool:
            for svc in (booking, billing, dossier, notify):
                for sub in svc.subscriptions:
                    queue = await channel.declare_queue(bus.queue_name(svc.name, sub.message), passive=True)
                    if queue.declaration_result.message_count:
                        return False
            return True

        await eventually(empty, timeout=30)
    # the last message taken may still be in its transaction
    for name in ("booking", "billing", "dossier", "notify"):
        await eventually(lambda n=name: s[n].fetchval(
            "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in%'"))


async def check(s: Stack):
    return await run_check(s.amqp_url, timeout=30)


async def test_consistent_after_resync_then_broken_projections_are_found_and_repaired(stack):
    s = stack
    report = await check(s)
    assert report.missing == []
    assert report.consistent, report.lines()
    assert {(v.consumer, v.owner) for v in report.verdicts} == {
        ("booking", "auth"), ("booking", "dossier"), ("billing", "auth"), ("billing", "dossier"),
        ("billing", "booking"), ("dossier", "auth"), ("notify", "auth")}

    # broken on purpose: booking and billing lose the family, billing its consumption line, booking keeps
    # an old quotient under an old version
    await s["booking"].execute("DELETE FROM family_structures WHERE family_id = $1", s.family_id)
    await s["booking"].execute("DELETE FROM children WHERE family_id = $1", s.family_id)
    await s["billing"].execute("DELETE FROM families WHERE id = $1", s.family_id)
    await s["billing"].execute("DELETE FROM consumptions WHERE booking_id = $1", s.booking_id)
    await s["booking"].execute("UPDATE quotients SET family_quotient = 1500 WHERE family_id = $1", s.family_id)
    await s["booking"].execute("UPDATE projection_versions SET version = version - interval '30 days' "
                               "WHERE kind = 'quotients' AND key = $1", str(s.family_id))

    report = await check(s)
    assert not report.consistent
    texts = "\n".join(report.lines())
    assert "booking : 1 famille de la structure Mairie de CarteVille manque dans la projection" in texts
    assert "booking : 1 enfant de la structure Mairie de CarteVille manque dans la projection" in texts
    assert "billing : 1 famille de la structure Mairie de CarteVille manque dans la projection" in texts
    assert "billing : 1 réservation facturable de la structure Mairie de CarteVille manque" in texts
    assert "booking : quotients familiaux de la structure Mairie de CarteVille : même nombre (1)" in texts
    # recorded by each consumer too, for the administrator's page
    verdict = json.loads(await s["booking"].fetchval(
        "SELECT body::text FROM consistency_verdicts WHERE owner = 'auth' ORDER BY id DESC LIMIT 1"))
    assert verdict["consistent"] is False

    await resync_all(s)
    assert await s["booking"].fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1", s.family_id) == 642
    assert await s["booking"].fetchval("SELECT count(*) FROM children WHERE family_id = $1", s.family_id) == 2
    assert await s["billing"].fetchval("SELECT label FROM families WHERE id = $1", s.family_id) == "DUPONT Jean-Paul"
    assert await s["billing"].fetchval("SELECT count(*) FROM consumptions WHERE booking_id = $1", s.booking_id) == 1
    report = await check(s)
    assert report.consistent, report.lines()
    assert report.lines()[-1] == "Aucune différence : chaque projection est égale aux faits de son propriétaire."


async def publish(amqp_url: str, *payloads) -> list[uuid.UUID]:
    ids = []
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for payload in payloads:
            envelope = wrap(payload, producer="test")
            exchange = await channel.get_exchange(bus.exchange_name(type(payload)))
            await exchange.publish(aio_pika.Message(envelope.model_dump_json().encode()),
                                   routing_key=payload.routing_key())
            ids.append(envelope.event_id)
    return ids


async def snapshot(s: Stack) -> dict:
    """Every consumer's projection of the facts the stale events are about."""
    names = "SELECT array_agg(first_name ORDER BY id) FROM children WHERE family_id = $1"
    return {
        "booking": (
            await s["booking"].fetchval("SELECT name FROM structures WHERE id = $1", CARTEVILLE),
            await s["booking"].fetchval(names, s.family_id),
            await s["booking"].fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1", s.family_id),
            await s["booking"].fetchval("SELECT signed_at FROM house_rules_signed WHERE child_id = $1", s.child_id)),
        "billing": (
            await s["billing"].fetchval("SELECT name FROM structures WHERE id = $1", CARTEVILLE),
            await s["billing"].fetchval("SELECT label FROM families WHERE id = $1", s.family_id),
            await s["billing"].fetchval(names, s.family_id),
            await s["billing"].fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1", s.family_id),
            await s["billing"].fetchval("SELECT count(*) FROM consumptions WHERE booking_id = $1", s.booking_id)),
        "dossier": (
            await s["dossier"].fetchval("SELECT name FROM structures WHERE id = $1", CARTEVILLE),
            await s["dossier"].fetchval("SELECT guardians::text FROM families WHERE id = $1", s.family_id),
            await s["dossier"].fetchval(names, s.family_id)),
        "notify": (
            await s["notify"].fetchval("SELECT emails FROM family_contacts WHERE family_id = $1", s.family_id),),
    }


async def test_a_stale_event_changes_no_consumer(stack):
    s = stack
    await resync_all(s)
    before = await snapshot(s)
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    family = await s["auth"].fetchrow("SELECT identifiant FROM families WHERE id = $1", s.family_id)
    stale = [
        AuthStructureChangedV1(structure_id=CARTEVILLE, name="Ancien nom", updated_at=old),
        AuthFamilyChangedV1(
            family_id=s.family_id, identifiant=family["identifiant"], structure_ids=[CARTEVILLE],
            guardians=[Guardian(guardian_id=uuid.uuid4(), first_name="Ancien", last_name="NOM", rank=1)],
            children=[Child(child_id=s.child_id, first_name="Ancienne", last_name="NOM",
                            birth_date=dt.date(2018, 4, 12), structure_id=CARTEVILLE)], updated_at=old),
        AuthFamilyContactsV1(family_id=s.family_id, account_id=uuid.uuid4(), emails=["ancienne@example.fr"],
                             greeting="M. NOM Ancien", updated_at=old),
        DossierFamilyUpdatedV1(family_id=s.family_id, family_quotient=1, allocataire_regime="MSA", updated_at=old),
        DossierHouseRulesSignedV1(family_id=s.family_id, child_id=s.child_id, structure_id=CARTEVILLE,
                                  school_year="2019-2020", signed_at=old),
        BookingStateV1(booking_id=s.booking_id, family_id=s.family_id, structure_id=CARTEVILLE, child_id=s.child_id,
                       activity_id=uuid.uuid4(), activity_name="REPAS SCOLAIRE", date=dt.date(2026, 9, 10),
                       status="cancelled", updated_at=old),
    ]
    ids = await publish(s.amqp_url, *stale)
    # each consumer has taken each stale event (its inbox says so) ...
    for name, count in (("booking", 4), ("billing", 4), ("dossier", 2), ("notify", 1)):
        await eventually(lambda n=name, c=count: s[n].fetchval(
            "SELECT count(*) = $2 FROM inbox WHERE event_id = ANY($1::uuid[])", ids, c), timeout=30)
    # ... and changed nothing
    assert await snapshot(s) == before
    assert before["booking"][0] == "Mairie de CarteVille" and before["booking"][2] == 642
    assert before["billing"][4] == 1  # the consumption line still stands
    assert before["notify"][0] == ["jean-paul.dupont@example.fr", "marie.dupont@example.fr"]


async def test_a_late_subscriber_gets_the_whole_state_from_a_resync(stack):
    s = stack
    await settled(s)
    connection = await aio_pika.connect(s.amqp_url)
    async with connection:
        channel = await connection.channel()
        events_exchange = await channel.get_exchange(bus.EVENTS_EXCHANGE)
        # a new municipal system binds its queue now, long after the families were published
        queue = await channel.declare_queue(f"scolarite.{uuid.uuid4().hex[:6]}", durable=False, auto_delete=True)
        await queue.bind(events_exchange, routing_key="auth.family_changed.v2")
        await queue.bind(events_exchange, routing_key="auth.structure_changed.v1")
        assert queue.declaration_result.message_count == 0

        # the operator's command, as run on a server
        env = {**os.environ, "PORTAIL_DATABASE_URL": s.db("auth"), "PORTAIL_AMQP_URL": s.amqp_url,
               "PORTAIL_IDENTITY_SECRET": SECRET, "PORTAIL_LOG_LEVEL": "WARNING"}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.auth", "resync", "--all", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 0, stderr.decode()
        assert "Resynchronisation auth : 2 structures, 1 famille republié(s)" in stdout.decode()

        received: dict[str, list[dict]] = {"auth.family_changed": [], "auth.structure_changed": []}

        async def all_received() -> bool:
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                body = json.loads(message.body)
                received[body["type"]].append(body["payload"])
            return len(received["auth.family_changed"]) == 1 and len(received["auth.structure_changed"]) == 2

        await eventually(all_received, timeout=30)
    family = received["auth.family_changed"][0]
    facts = await s["auth"].fetchrow("SELECT id, updated_at FROM families")
    assert family["family_id"] == str(facts["id"])
    assert dt.datetime.fromisoformat(family["updated_at"]) == facts["updated_at"]
    assert len(family["children"]) == 2 and family["guardians"] == 2
    assert "identifiant" not in family  # the public version, by identifiers only
    assert {p["name"] for p in received["auth.structure_changed"]} == {"Mairie de CarteVille",
                                                                       "Accueil de loisirs du Bourg"}


async def test_a_resync_of_one_family_or_one_structure_republishes_only_them(stack):
    s = stack
    assert await auth_resync.resync(s["auth"], family_id=s.family_id) == {"structures": 0, "families": 1}
    assert await auth_resync.resync(s["auth"], structure_id=demo.DEMO_SECOND_STRUCTURE_ID) == {
        "structures": 1, "families": 1}  # the family has a child there
    assert await dossier_events.resync(s["dossier"], family_id=uuid.uuid4()) == {"quotients": 0, "house_rules": 0}
    assert await booking_resync.resync(s["booking"], structure_id=CARTEVILLE) == {"bookings": 1}
    await resync_all(s)
