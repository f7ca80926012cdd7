"""Outside development mode (production's case: PORTAIL_DEVELOPMENT unset), eopayment's `dummy` backend is
refused (issue 19): the gateway has no /paiement-dummy/ page, staff cannot choose it, and a structure
left with it (a copied database) offers no online payment: a checkout is a French 503 with nothing
recorded, and no notification is accepted."""

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


async def test_the_gateway_has_no_dummy_payment_page():
    settings = GatewaySettings(identity_secret=SECRET, metrics_token=METRICS_TOKEN, cookie_secure=False)
    runner = web.AppRunner(build_app(settings), shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    try:
        async with aiohttp.ClientSession() as http:
            for method, path in (("GET", "/paiement-dummy/?transaction_id=abc"), ("POST", "/paiement-dummy/payer"),
                                 ("POST", "/paiement-dummy/annuler")):
                async with http.request(method, base + path, allow_redirects=False) as resp:
                    assert resp.status == 404, (method, path)
                    assert "Page introuvable" in await resp.text()
    finally:
        await runner.cleanup()
    assert settings.development is False  # off unless explicitly switched on


async def test_billing_refuses_the_dummy_backend(run_service, db_prefix):
    family_id, invoice_id, structure_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    parent = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=family_id), SECRET)
    staff = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="staff", structures=(structure_id,)), SECRET)
    async with run_service(billing) as url:
        conn = await asyncpg.connect(database_url(db_prefix, "billing"))
        try:
            async with aiohttp.ClientSession(headers={ident.HEADER: staff}) as http:
                async with http.put(f"{url}/v1/payment-backends/{structure_id}",
                                    json={"backend": "dummy", "options": {}}) as resp:
                    assert resp.status == 400 and "qu'en développement" in (await resp.json())["detail"]
                async with http.get(f"{url}/v1/payment-backends/{structure_id}") as resp:
                    assert "dummy" not in {b["name"] for b in (await resp.json())["backends"]}
            await conn.execute(
                """INSERT INTO invoices (id, number, family_id, structure_id, period_start, period_end, issued_on,
                       due_on, total_cents) VALUES ($1, $2, $3, $4, '2026-01-01', '2026-01-31', '2026-02-02',
                       '2026-03-04', 1200)""", invoice_id, f"T-{invoice_id.hex[:10]}", family_id, structure_id)
            await conn.execute("INSERT INTO payment_backends (structure_id, backend) VALUES ($1, 'dummy')",
                               structure_id)  # left there by hand: still refused
            async with aiohttp.ClientSession(headers={ident.HEADER: parent}) as http:
                async with http.post(f"{url}/v1/payments/online", json={"invoice_id": str(invoice_id)}) as resp:
                    body = await resp.json()
                    assert resp.status == 503 and "paiement en ligne n'est pas proposé" in body["detail"]
                async with http.post(f"{url}/v1/payments/notification/{structure_id}",
                                     data=b"transaction_id=abc&ok=1&signed=1") as resp:
                    assert resp.status == 404
            assert await conn.fetchval("SELECT count(*) FROM payments WHERE family_id = $1", family_id) == 0
            assert await conn.fetchval("SELECT count(*) FROM online_transactions WHERE family_id = $1",
                                       family_id) == 0
        finally:
            await conn.close()


async def test_the_bank_origins_are_allowed_only_on_the_consumptions_page():
    """PORTAIL_PAYMENT_ORIGINS: the « Payer en ligne » form of /consommations may be redirected to the bank's
    page (CSP form-action); every other page keeps form-action 'self'."""
    settings = GatewaySettings(identity_secret=SECRET, metrics_token=METRICS_TOKEN, cookie_secure=False,
                               payment_origins="https://www.payfip.gov.fr")
    runner = web.AppRunner(build_app(settings), shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/consommations", allow_redirects=False) as resp:
                assert "form-action 'self' https://www.payfip.gov.fr;" in resp.headers["Content-Security-Policy"]
            async with http.get(base + "/connexion", allow_redirects=False) as resp:
                assert "form-action 'self';" in resp.headers["Content-Security-Policy"]
    finally:
        await runner.cleanup()
