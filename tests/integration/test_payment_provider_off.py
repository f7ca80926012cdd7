"""Without PORTAIL_TEST_PAYMENT_PROVIDER (production's case), the local test payment provider does not
exist (issue 13): the gateway has no /paiement-test/ pages, billing has no provider routes, a checkout
cannot use it (a French 503, nothing recorded) and no callback is accepted."""

from __future__ import annotations

import uuid

import aiohttp
import asyncpg
from aiohttp import web

from kit import identity as ident
from services.billing.app import service as billing
from services.gateway.app import build_app
from services.gateway.settings import GatewaySettings
from tests.conftest import METRICS_TOKEN, SECRET, database_url


async def test_the_gateway_has_no_test_provider_pages():
    settings = GatewaySettings(identity_secret=SECRET, metrics_token=METRICS_TOKEN, cookie_secure=False)
    runner = web.AppRunner(build_app(settings), shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    try:
        async with aiohttp.ClientSession() as http:
            for method, path in (("GET", "/paiement-test/tp_abc"), ("POST", "/paiement-test/tp_abc/payer"),
                                 ("POST", "/paiement-test/tp_abc/annuler")):
                async with http.request(method, base + path, allow_redirects=False) as resp:
                    assert resp.status == 404, (method, path)
                    assert "Page introuvable" in await resp.text()
    finally:
        await runner.cleanup()
    assert settings.test_payment_provider is False  # off unless explicitly switched on


async def test_billing_offers_no_test_provider(run_service, db_prefix):
    family_id, invoice_id = uuid.uuid4(), uuid.uuid4()
    parent = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=family_id), SECRET)
    async with run_service(billing) as url:
        conn = await asyncpg.connect(database_url(db_prefix, "billing"))
        try:
            await conn.execute(
                """INSERT INTO invoices (id, number, family_id, structure_id, period_start, period_end, issued_on,
                       due_on, total_cents) VALUES ($1, $2, $3, $4, '2026-01-01', '2026-01-31', '2026-02-02',
                       '2026-03-04', 1200)""", invoice_id, f"T-{invoice_id.hex[:10]}", family_id, uuid.uuid4())
            async with aiohttp.ClientSession(headers={ident.HEADER: parent}) as http:
                async with http.post(f"{url}/v1/payments/online", json={
                        "invoice_id": str(invoice_id), "return_url": "http://127.0.0.1:8080/consommations"}) as resp:
                    body = await resp.json()
                    assert resp.status == 503 and "paiement en ligne n'est pas proposé" in body["detail"]
                for method, path in (("GET", "/v1/test-provider/tp_abc"), ("POST", "/v1/test-provider/tp_abc/payer")):
                    async with http.request(method, url + path) as resp:
                        assert resp.status == 404, path
                async with http.post(f"{url}/v1/payments/callback", data=b'{"provider_ref": "tp_abc"}',
                                     headers={"X-Signature": "0" * 64}) as resp:
                    assert resp.status == 404
            assert await conn.fetchval("SELECT count(*) FROM payments WHERE family_id = $1", family_id) == 0
            assert await conn.fetchval("SELECT count(*) FROM test_provider_checkouts "
                                       "WHERE description LIKE $1", f"%T-{invoice_id.hex[:10]}") == 0
        finally:
            await conn.close()
