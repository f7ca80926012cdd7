"""The local test payment provider on the real stack (issue 13), switched on as development and the tests
do (PORTAIL_TEST_PAYMENT_PROVIDER=1): its page and its "Payer"/"Annuler" buttons serve only the paying
family, signed in, with the session's CSRF token; the family is sent back only to the portal itself.
(Without the switch it does not exist: tests/integration/test_payment_provider_off.py.)"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from contracts import BookingTransmittedV1, TransmittedLine
from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_billing import publish
from tests.e2e.test_bookings import Api, new_family
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
MONTHS = ("2026-01", "2026-02")  # fixed months: nothing here depends on the day the test runs


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("payment-provider")) as p:
        yield p


@pytest.fixture(scope="module")
async def families(site, amqp_url):
    """A family with a January invoice of 12,00 € and a February one of 6,00 €, and another family."""
    staff, admin = Api(site.url), Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    await admin.login("admin.portail", "Demo-Admin-2027")
    payer, family = await new_family(site, staff, children=1)
    other, _ = await new_family(site, staff, children=1)
    activity = str(uuid.uuid4())
    await staff.call("POST", "/api/v1/billing/tariffs", {
        "structure_id": CARTEVILLE, "activity_id": activity, "activity_name": "GARDERIE", "effective_from": "2020-01-01",
        "unit": "session", "brackets": [{"qf_max": None, "price_cents": 300}]}, expect=201)
    child = family["children"][0]
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=family["family_id"], structure_id=CARTEVILLE,
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime(2026, 1, 31, 23, tzinfo=dt.UTC),
        lines=[TransmittedLine(booking_id=uuid.uuid4(), child_id=child["id"], child_first_name=child["first_name"],
                               child_last_name=child["last_name"], activity_id=activity, activity_name="GARDERIE",
                               date=day, kind="reserve", outcome="accepted")
               for day in (dt.date(2026, 1, 12), dt.date(2026, 1, 13), dt.date(2026, 1, 15), dt.date(2026, 1, 16),
                           dt.date(2026, 2, 2), dt.date(2026, 2, 3))]))

    async def billed():
        counts = [len((await payer.call("GET", f"/api/v1/billing/consumptions?month={m}"))["lines"]) for m in MONTHS]
        return counts == [4, 2]

    await eventually(billed)
    for month in MONTHS:
        await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": month})
    invoices = {i["total"]: i["id"] for i in (await payer.call("GET", "/api/v1/billing/invoices"))["invoices"]}
    assert set(invoices) == {"12,00", "6,00"}
    yield payer, other, invoices["12,00"], invoices["6,00"]
    for api in (staff, admin, payer, other):
        await api.close()


async def remaining(payer: Api, invoice_id: str) -> str:
    invoices = (await payer.call("GET", "/api/v1/billing/invoices"))["invoices"]
    return next(i["remaining"] for i in invoices if i["id"] == invoice_id)


async def checkout(site, payer: Api, invoice_id: str, **urls) -> str:
    started = await payer.call("POST", "/api/v1/billing/payments/online", {
        "invoice_id": invoice_id, "return_url": f"{site.url}/consommations", **urls}, expect=201)
    return started["redirect_url"].rsplit("/", 1)[1]


async def test_return_and_cancel_urls_must_be_pages_of_the_portal(site, families):
    payer, _other, invoice_id, _february = families
    port = int(site.url.rsplit(":", 1)[1])
    for field, url in (("return_url", "https://pirate.example/merci"),
                       ("return_url", "//pirate.example/merci"),
                       ("return_url", f"http://127.0.0.1:{port + 1}/consommations"),
                       ("return_url", f"http://pirate.example@127.0.0.1:{port}/consommations"),
                       ("return_url", "javascript:alert(1)"),
                       ("return_url", "/consommations"),
                       ("cancel_url", "https://pirate.example/annule")):
        body = {"invoice_id": invoice_id, "return_url": f"{site.url}/consommations", field: url}
        refused = await payer.call("POST", "/api/v1/billing/payments/online", body, expect=400)
        assert "doit être une page du portail" in refused["detail"], (field, url)
    assert await remaining(payer, invoice_id) == "12,00"


async def test_only_the_paying_family_signed_in_with_its_csrf_token_settles(site, families):
    payer, other, invoice_id, _february = families
    ref = await checkout(site, payer, invoice_id)
    page, action = f"{site.url}/paiement-test/{ref}", f"{site.url}/paiement-test/{ref}/payer"

    # nobody signed in: sent to sign in, nothing paid
    anonymous = site.browser()
    for method in ("GET", "POST"):
        async with anonymous.http.request(method, page if method == "GET" else action,
                                          allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/connexion"), method
    # another family: nothing to see, nothing to pay (even with its own CSRF token)
    async with other.http.get(page) as resp:
        assert resp.status == 404
    async with other.http.post(action, data={"csrf": other.csrf}, allow_redirects=False) as resp:
        assert resp.status == 404
    # the paying family without its CSRF token (a forged form on another site): refused
    async with payer.http.post(action, allow_redirects=False) as resp:
        assert resp.status == 403 and "Formulaire expiré" in await resp.text()
    async with payer.http.post(action, data={"csrf": "faux"}, allow_redirects=False) as resp:
        assert resp.status == 403
    assert await remaining(payer, invoice_id) == "12,00"

    # the paying family, signed in, from the provider's page with its token: paid, back on the portal
    async with payer.http.get(page) as resp:
        text = await resp.text()
        assert resp.status == 200 and "12,00" in text and "Payer" in text
        assert f'name="csrf" value="{payer.csrf}"' in text
    async with payer.http.post(action, data={"csrf": payer.csrf}, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == f"{site.url}/consommations?paiement=ok"
    assert await remaining(payer, invoice_id) == "0,00"
    async with payer.http.get(page) as resp:  # done: the checkout is closed
        assert resp.status == 404


async def test_a_cancelled_payment_returns_to_the_cancel_page(site, families):
    payer, _other, _january, invoice_id = families
    ref = await checkout(site, payer, invoice_id, cancel_url=f"{site.url}/consommations?annulation=1")
    async with payer.http.post(f"{site.url}/paiement-test/{ref}/annuler", data={"csrf": payer.csrf},
                               allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == f"{site.url}/consommations?annulation=1&paiement=annule"
    assert await remaining(payer, invoice_id) == "6,00"
