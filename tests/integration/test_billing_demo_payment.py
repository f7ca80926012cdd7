"""`make run`'s demo data (tools/devstack.py runs billing's `demo` command in development mode): the demo
structure pays online through eopayment's dummy backend; outside development the demo sets no backend.
And billing's `reconcile-payments` command (the CronJob's) expiring a transaction left pending."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import asyncpg

from kit.clock import utc_now
from services.billing import demo
from services.billing.app import service as billing
from tests.conftest import SECRET, SERVICE_SECRETS, database_url


async def test_the_demo_configures_the_dummy_backend_in_development_only(run_service, db_prefix):
    async with run_service(billing):
        pool = await asyncpg.create_pool(database_url(db_prefix, "billing"), min_size=1, max_size=2)
        try:
            await pool.execute("DELETE FROM payment_backends WHERE structure_id = $1", demo.CARTEVILLE)
            await demo.load(SimpleNamespace(development=False), pool)
            assert await pool.fetchval("SELECT backend FROM payment_backends WHERE structure_id = $1",
                                       demo.CARTEVILLE) is None
            for _ in range(2):  # run twice (every `make run`): still one backend
                await demo.load(SimpleNamespace(development=True), pool)
            assert await pool.fetchval("SELECT backend FROM payment_backends WHERE structure_id = $1",
                                       demo.CARTEVILLE) == "dummy"
        finally:
            await pool.close()


async def test_the_reconcile_command_expires_a_transaction_left_pending(run_service, db_prefix, amqp_url, capsys):
    payment_id, family_id, structure_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with run_service(billing):
        pool = await asyncpg.create_pool(database_url(db_prefix, "billing"), min_size=1, max_size=2)
        try:
            await pool.execute("""INSERT INTO payments (id, family_id, structure_id, amount_cents, method, reference,
                                      status, provider_ref) VALUES ($1, $2, $3, 1234, 'online', 'EN-LIGNE-X',
                                      'pending', $4)""", payment_id, family_id, structure_id, f"dummy:{payment_id.hex}")
            await pool.execute("""INSERT INTO online_transactions (payment_id, structure_id, family_id, backend,
                                      transaction_id, amount_cents, invoice_number, created_at, updated_at)
                                  VALUES ($1, $2, $3, 'dummy', $4, 1234, 'X', $5, $5)""",
                               payment_id, structure_id, family_id, payment_id.hex, utc_now() - timedelta(hours=3))
            settings = billing.settings_cls(database_url=database_url(db_prefix, "billing"), amqp_url=amqp_url,
                                            identity_secret=SECRET, **SERVICE_SECRETS.get("billing", {}))
            await billing.commands["reconcile-payments"](settings, pool)
            out = capsys.readouterr().out
            assert out.startswith("Paiements en ligne en attente : 0 vérifiés") and " 0 expirés" not in out
            assert await pool.fetchval("SELECT state FROM online_transactions WHERE payment_id = $1",
                                       payment_id) == "expired"
            assert await pool.fetchval("SELECT status FROM payments WHERE id = $1", payment_id) == "cancelled"
        finally:
            await pool.close()
