"""Online payment through eopayment's `dummy` backend on the real stack (issue 19), in development mode as
`make run` and the tests run (PORTAIL_DEVELOPMENT=1): the pending transaction recorded before the redirect,
the dummy's local page, duplicated notifications recorded once, the return from the bank, an expired
transaction shown to the family, staff's configuration (secrets masked) and their transactions list.
(Outside development the dummy backend is refused: tests/integration/test_payment_provider_off.py.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit

import asyncpg
import pytest

from contracts import BookingTransmittedV1, TransmittedLine
from contracts.api.billing import InvoicesOut, OnlineTransactionsOut, PaymentBackendOut
from kit.clock import utc_now
from services.auth import demo
from services.billing.backends import Backends
from services.billing.service import OUTBOX, online_payments
from services.billing.store import Store
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
    yield payer, other, invoices["12,00"], invoices["6,00"], staff
    for api in (staff, admin, payer, other):
        await api.close()


async def remaining(payer: Api, invoice_id: str) -> str:
    invoices = (await payer.call("GET", "/api/v1/billing/invoices"))["invoices"]
    return next(i["remaining"] for i in invoices if i["id"] == invoice_id)


async def start(site, payer: Api, invoice_id: str) -> dict[str, str]:
    """The family starts paying: the dummy's local page, with the dummy's own query parameters."""
    started = await payer.call("POST", "/api/v1/billing/payments/online", {"invoice_id": invoice_id}, expect=201)
    url = urlsplit(started["redirect_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{site.url}/paiement-dummy/"
    return dict(parse_qsl(url.query))


async def pay_on_the_dummy_page(site, payer: Api, invoice_id: str, action: str = "payer") -> str:
    """The family on the dummy's page presses a button: where the browser is sent back."""
    fields = await start(site, payer, invoice_id)
    async with payer.http.get(f"{site.url}/paiement-dummy/?{urlencode(fields)}") as resp:
        assert resp.status == 200 and "Payer" in await resp.text()
    async with payer.http.post(f"{site.url}/paiement-dummy/{action}", data={**fields, "csrf": payer.csrf},
                               allow_redirects=False) as resp:
        assert resp.status == 303
        back = resp.headers["Location"]
    async with payer.http.get(back, allow_redirects=False) as resp:  # the return, checked by eopayment
        assert resp.status == 303
        return resp.headers["Location"]


async def test_duplicated_notifications_record_the_payment_once(site, families):
    payer, _other, invoice_id, _february, staff = families
    fields = await start(site, payer, invoice_id)
    assert fields["amount"] == "12.00" and fields["transaction_id"]
    assert fields["return_url"] == f"{site.url}/paiement/retour/{CARTEVILLE}"
    assert fields["direct_notification_url"] == f"{site.url}/api/v1/payments/notification/{CARTEVILLE}"
    listed = (await staff.call("GET", "/api/v1/billing/payments/online"))["transactions"]
    mine = next(t for t in listed if t["transaction_id"] == fields["transaction_id"])
    assert (mine["state"], mine["amount_cents"]) == ("pending", 1200)  # recorded before the redirect

    bank = site.browser()  # server to server: no session
    notification = fields["direct_notification_url"]
    unsigned = urlencode({"transaction_id": fields["transaction_id"], "ok": "1", "amount": "12.00"})
    async with bank.http.post(notification, data=unsigned,
                              headers={"Content-Type": "application/x-www-form-urlencoded"}) as resp:
        assert resp.status == 200  # read, but not signed: nothing paid
    assert await remaining(payer, invoice_id) == "12,00"
    wrong = urlencode({"transaction_id": fields["transaction_id"], "ok": "1", "signed": "1", "amount": "1.00"})
    async with bank.http.get(f"{notification}?{wrong}") as resp:
        assert resp.status == 400  # signed, but not the amount asked
    signed = urlencode({"transaction_id": fields["transaction_id"], "ok": "1", "signed": "1", "amount": "12.00"})

    async def notify(method: str) -> tuple[int, str]:
        if method == "GET":
            async with bank.http.get(f"{notification}?{signed}") as resp:
                return resp.status, await resp.text()
        async with bank.http.post(notification, data=signed,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}) as resp:
            return resp.status, await resp.text()

    answers = await asyncio.gather(*(notify(m) for m in ("POST", "POST", "GET", "POST")))
    assert answers == [(200, "signature ok")] * 4  # the dummy's return_content, sent back to the bank
    assert await remaining(payer, invoice_id) == "0,00"
    account = await payer.call("GET", "/api/v1/billing/invoices")
    InvoicesOut.model_validate(account)  # as the OpenAPI document says
    assert [p["amount"] for p in account["payments"]] == ["12,00"]  # once
    assert [t["state_label"] for t in account["online_transactions"]] == ["Payé"]
    async with payer.http.get(f"{fields['return_url']}?{signed}", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/consommations?paiement=ok"
    listed = OnlineTransactionsOut.model_validate(await staff.call("GET", "/api/v1/billing/payments/online"))
    mine = next(t for t in listed.model_dump(mode="json")["transactions"]
                if t["transaction_id"] == fields["transaction_id"])
    assert (mine["state"], mine["notifications"]) == ("paid", 5)  # the unsigned one and the four signed

    async def tickets():
        found = [m for m in site.catcher.messages if m.subject == "Portail Famille : ticket de paiement"
                 and "12,00 €" in m.text and "Paiement en ligne" in m.text]
        return found or None

    await eventually(tickets)
    await asyncio.sleep(0.5)
    assert len(await tickets()) == 1  # one ticket, however many notifications
    unknown = urlencode({"transaction_id": "inconnu", "ok": "1", "signed": "1"})
    async with bank.http.get(f"{notification}?{unknown}") as resp:
        assert resp.status == 404


async def test_paid_on_the_dummy_page_then_a_cancelled_one_expires(site, families):
    payer, other, _january, invoice_id, staff = families
    # another family can neither see the dummy's page without signing in nor pay this invoice
    async with site.browser().http.get(f"{site.url}/paiement-dummy/?transaction_id=x", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"].startswith("/connexion")
    await other.call("POST", "/api/v1/billing/payments/online", {"invoice_id": invoice_id}, expect=404)

    assert await pay_on_the_dummy_page(site, payer, invoice_id, "annuler") == "/consommations?paiement=erreur"
    assert await remaining(payer, invoice_id) == "6,00"
    # the reconcile job, two hours later: the dummy cannot be asked, the transaction expires
    pool = await asyncpg.create_pool(site.billing_db, min_size=1, max_size=2)
    try:
        report = await online_payments.reconcile(Store(pool), OUTBOX, Backends(site.url, True),
                                                 utc_now() + dt.timedelta(hours=2), 60)
    finally:
        await pool.close()
    assert report.expired >= 1 and report.asked == 0
    account = await payer.call("GET", "/api/v1/billing/invoices")
    assert account["online_transactions"][0]["state_label"] == "Expiré"
    async with payer.http.get(f"{site.url}/consommations") as resp:
        assert "Expiré" in await resp.text()

    assert await pay_on_the_dummy_page(site, payer, invoice_id) == "/consommations?paiement=ok"
    assert await remaining(payer, invoice_id) == "0,00"
    states = [t["state"] for t in (await staff.call("GET", "/api/v1/billing/payments/online"))["transactions"]]
    assert "paid" in states and "expired" in states


async def test_staff_set_the_backend_and_never_see_its_secrets(site, families):
    payer, _other, _january, _february, staff = families
    target = f"/api/v1/billing/payment-backends/{CARTEVILLE}"
    form = await staff.call("GET", target)
    PaymentBackendOut.model_validate(form)
    assert form["backend"] == "dummy" and "payfip_ws" in {b["name"] for b in form["backends"]}
    await staff.call("PUT", target, {"backend": "systempayv2", "options": {
        "service_url": "https://paiement.systempay.fr/vads-payment/", "secret_test": "cle-tres-secrete",
        "vads_ctx_mode": "TEST", "vads_site_id": "12345678", "vads_payment_config": "SINGLE"}}, expect=204)
    shown = await staff.call("GET", target)
    secret = next(p for p in shown["parameters"] if p["name"] == "secret_test")
    assert secret["secret"] and secret["value"] == "********"
    async with staff.http.get(f"{site.url}/gestion/paiement-en-ligne") as resp:
        page = await resp.text()
        assert resp.status == 200 and "cle-tres-secrete" not in page and "Un secret est enregistré" in page
    refused = await staff.call("PUT", target, {"backend": "payfip_ws", "options": {"numcli": ""}}, expect=400)
    assert "obligatoire" in refused["detail"]
    await payer.call("PUT", target, {"backend": "dummy", "options": {}}, expect=403)
    await staff.call("PUT", target, {"backend": "dummy", "options": {}}, expect=204)
    await payer.call("GET", "/api/v1/billing/payments/online", expect=403)
