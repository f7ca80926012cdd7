"""notify killed with SIGKILL while it builds and sends the morning digests (issue 14): every family
gets its digest, an interrupted run is resumed at the next start, and a mail handed to SMTP just before
a crash may go out again, but only the mails in flight at the crashes, with their first Message-ID and
the repeat shown in the delivery log and the metric.

notify runs as a subprocess (`python -m services.notify`) against this session's virtual host and a
database of its own; the scenario itself is bench/faults.py's `digest_kill9` (also run outside pytest)."""

from __future__ import annotations

import uuid

import asyncpg

from bench.faults import IN_FLIGHT_PER_SENDER, digest_kill9, seed_digests
from kit import db, migrations
from services.notify.app import service as notify
from services.notify.service import digest_runs as digests
from services.notify.store import Store
from services.notify.store.digests import RUN_LOCK
from tests.conftest import PG_URL, database_url

# Several of the run's chunks (services/notify/service/digest_runs.py CHUNK = 250 pairs per transaction), so
# the first kill, right after the first chunk commits, finds the run still building (issue 18 made it fast).
FAMILIES = 1500
KILLS = 5


async def test_digests_survive_kill_9_every_family_gets_one(amqp_url, db_prefix, tmp_path):
    result = await digest_kill9(PG_URL, amqp_url, f"{db_prefix}crash_", tmp_path, families=FAMILIES, kills=KILLS)
    print(f"\nlost={result.lost} repeated={result.repeated} duplicated={result.duplicated} kills={result.kills} "
          f"repeats_logged={result.repeats_logged} repeats_metric={result.repeats_metric} "
          f"runs_resumed={result.runs_resumed} sent_at_kills={result.sent_at_kills}")
    log = (tmp_path / "notify.log").read_text()[-3000:]
    # the first kill cut the run while it was building the digests: it was resumed, not rebuilt
    assert result.run_unfinished_at_first_kill, log
    assert result.runs == 1 and result.runs_resumed >= 1 and result.runs_unfinished == 0, log
    # every family got its digest, one mail each (no second mail with another Message-ID)
    assert result.lost == 0, log
    assert result.duplicated == 0, result.repeated_message_ids
    # a repeat only for a mail in flight at a kill, same Message-ID, derived from its delivery
    assert result.repeated <= KILLS * IN_FLIGHT_PER_SENDER
    assert result.wrong_message_ids == 0
    # the delivery log shows every repeat (attempts >= 2, repeats >= 1) and the metric counts them
    assert result.repeats_not_logged == 0
    assert result.repeats_logged >= result.repeated
    assert result.repeats_logged <= KILLS * IN_FLIGHT_PER_SENDER
    assert result.repeats_metric == result.repeats_logged
    assert result.not_sent == 0
    assert result.exit_code == 0, log
    assert result.failures() == []


async def test_a_live_run_is_left_alone_an_orphan_is_resumed(db_prefix):
    """A run left unfinished is resumed only when no live process holds its lock."""
    dsn = database_url(db_prefix, "resume_notify")
    await db.ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    await migrations.apply(conn, migrations.service_migrations("notify", notify.migrations_dir))
    await conn.close()
    await seed_digests(dsn, 12)
    pool = await db.create_pool(dsn, max_size=4)
    holder = await asyncpg.connect(dsn)
    try:
        run_id = uuid.uuid4()
        await pool.execute("INSERT INTO digest_runs (id) VALUES ($1)", run_id)
        # a process still working on the run holds its lock: nothing is taken over
        await holder.execute("SELECT pg_advisory_lock($1, hashtext($2::text))", RUN_LOCK, str(run_id))
        assert await digests.resume_interrupted(Store(pool), "https://portail.example.fr/") == []
        assert await pool.fetchval("SELECT count(*) FROM deliveries") == 0
        # the process dies (its connection with it): the run is finished by the next check
        await holder.close()
        [report] = await digests.resume_interrupted(Store(pool), "https://portail.example.fr/")
        assert (report.run_id, report.families, report.mails) == (run_id, 12, 12)
        row = await pool.fetchrow("SELECT finished_at, resumed, families, mails FROM digest_runs WHERE id = $1", run_id)
        assert row["finished_at"] is not None and row["resumed"] == 1 and (row["families"], row["mails"]) == (12, 12)
        assert await pool.fetchval("SELECT count(*) FROM deliveries WHERE digest_run_id = $1", run_id) == 12
        # nothing left to resume, and a new run finds nothing to send twice
        assert await digests.resume_interrupted(Store(pool), "https://portail.example.fr/") == []
        assert (await digests.run(Store(pool), "https://portail.example.fr/")).mails == 0
    finally:
        if not holder.is_closed():
            await holder.close()
        await pool.close()
