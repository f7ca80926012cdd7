"""Billing on the real stack: transmitted bookings become priced consumption lines, a cancellation
credits, the two-month history and its CSV/PDF exports, an invoice, payments by staff and online
with the ticket mail read back, and no family sees another's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from urllib.parse import parse_qsl, urlsplit

import aio_pika
import pytest
from pypdf import PdfReader

from contracts import BookingTransmittedV1, TransmittedLine, wrap
from contracts.dossier import DossierFamilyUpdatedV1
from kit import bus
from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_bookings import Api, new_family
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("billing")) as p:
        yield p


async def publish(amqp_url: str, payload) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(bus.exchange_name(type(payload)))
        await exchange.publish(aio_pika.Message(wrap(payload, producer="test").model_dump_json().encode()),
                               routing_key=payload.routing_key())


def months() -> tuple[dt.date, dt.date]:
    """The first days of the previous and the current month."""
    this = dt.date.today().replace(day=1)
    return (this - dt.timedelta(days=1)).replace(day=1), this


async def test_consumptions_history_exports_invoice_and_payments(site, amqp_url):
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    parent, family = await new_family(site, staff, children=3)
    family_id = family["family_id"]
    eldest, second, third = family["children"]  # born 2017, 2018, 2019: ranks 1, 2, 3
    canteen = str(uuid.uuid4())
    # REPAS SCOLAIRE: QF ≤ 700 pays 2,50 (2,10 from the 2nd child); above, 3,59 (2,98 from the 2nd child)
    await staff.call("POST", "/api/v1/billing/tariffs", {
        "structure_id": CARTEVILLE, "activity_id": canteen, "activity_name": "REPAS SCOLAIRE",
        "effective_from": "2020-01-01", "unit": "session", "reduced_from_rank": 2,
        "brackets": [{"qf_max": 700, "price_cents": 250, "reduced_price_cents": 210},
                     {"qf_max": None, "price_cents": 359, "reduced_price_cents": 298}]}, expect=201)
    await publish(amqp_url, DossierFamilyUpdatedV1(family_id=family_id, family_quotient=1200,
                                                   updated_at=dt.datetime.now(dt.UTC)))
    previous, current = months()
    days = [previous + dt.timedelta(days=i) for i in (15, 16, 18, 19)] + [current]
    lines, bookings = [], {}
    for day in days:
        for child in (eldest, second, third):
            booking_id = uuid.uuid4()
            bookings[(child["id"], day)] = booking_id
            lines.append(TransmittedLine(
                booking_id=booking_id, child_id=child["id"], child_first_name=child["first_name"],
                child_last_name=child["last_name"], activity_id=canteen, activity_name="REPAS SCOLAIRE", date=day,
                kind="reserve", outcome="accepted"))
    lines.append(lines[0].model_copy(update={"booking_id": uuid.uuid4(), "outcome": "waitlisted"}))
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=family_id, structure_id=CARTEVILLE,
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC), lines=lines))

    prev_key, cur_key = previous.strftime("%Y-%m"), current.strftime("%Y-%m")

    async def history(month):
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={month}")
        return data if data["lines"] else None

    prev = await eventually(lambda: history(prev_key))
    assert len(prev["lines"]) == 12  # 4 days × 3 children; the waiting-list line costs nothing
    by_child = {line["first_name"]: line["unit_price"] for line in prev["lines"]}
    assert by_child == {"Léo": "3,59", "Marina": "2,98", "Zoé": "2,98"}  # the guide's example
    assert prev["total"] == "38,20"  # 4 × (3,59 + 2,98 + 2,98)
    assert [line["day"] for line in prev["lines"]] == sorted(
        (line["day"] for line in prev["lines"]), key=lambda d: d[6:] + d[3:5] + d[:2], reverse=True)
    cur = await eventually(lambda: history(cur_key))
    assert len(cur["lines"]) == 3 and cur["total"] == "9,55" and cur["previous"] == prev_key
    filtered = await parent.call("GET", f"/api/v1/billing/consumptions?month={prev_key}&q=zoe")
    assert {line["first_name"] for line in filtered["lines"]} == {"Zoé"}

    # exports: CSV for French Excel and PDF, read back
    async with parent.http.get(f"{site.url}/api/v1/billing/consumptions/export.csv?month={prev_key}") as resp:
        assert resp.status == 200
        raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date", "Nom", "Prénom", "Activité", "Prix (€)", "Qté", "Total (€)"]
    assert len(rows) == 1 + 12 + 1 and rows[-1][-1] == "38,20"
    assert ["Léo", "REPAS SCOLAIRE", "3,59", "1", "3,59"] == rows[1][2:] or any(
        r[2:] == ["Léo", "REPAS SCOLAIRE", "3,59", "1", "3,59"] for r in rows[1:-1])
    async with parent.http.get(f"{site.url}/api/v1/billing/consumptions/export.pdf?month={prev_key}") as resp:
        pdf = await resp.read()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "38,20" in text and "Zoé" in text and "REPAS SCOLAIRE" in text

    # the month's invoice
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    issued = await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": prev_key})
    assert issued["invoices"] >= 1
    again = await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": prev_key})
    assert again["invoices"] == 0
    account = await parent.call("GET", "/api/v1/billing/invoices")
    [invoice] = account["invoices"]
    assert (invoice["total"], invoice["status_label"]) == ("38,20", "À payer")
    assert account["balance"] == "-38,20"
    async with parent.http.get(f"{site.url}/api/v1/billing/invoices/{invoice['id']}/pdf") as resp:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(await resp.read())).pages)
    assert invoice["number"] in text and "Reste à payer" in text and "38,20" in text

    # a cancellation of an invoiced day is credited, not erased
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=family_id, structure_id=CARTEVILLE,
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC),
        lines=[lines[0].model_copy(update={"kind": "cancel", "outcome": "cancelled"})]))

    async def credited():
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={prev_key}")
        return data if len(data["lines"]) == 13 else None

    prev = await eventually(credited)
    assert prev["total"] == "34,61" and any(line["total"] == "-3,59" for line in prev["lines"])

    # staff record a cheque of 20 €; online payment of the rest through eopayment's dummy
    await staff.call("POST", "/api/v1/billing/payments", {
        "family_id": family_id, "structure_id": CARTEVILLE, "amount": "20,00", "method": "cheque",
        "reference": "CHQ-1234567"}, expect=201)
    account = await parent.call("GET", "/api/v1/billing/invoices")
    assert account["invoices"][0]["remaining"] == "18,20"
    started = await parent.call("POST", "/api/v1/billing/payments/online", {"invoice_id": invoice["id"]}, expect=201)
    assert started["redirect_url"].startswith(f"{site.url}/paiement-dummy/?")  # eopayment's dummy, served locally
    fields = dict(parse_qsl(urlsplit(started["redirect_url"]).query))
    async with parent.http.get(started["redirect_url"]) as resp:
        page = await resp.text()
    assert "18.20" in page and "Payer" in page
    async with parent.http.post(f"{site.url}/paiement-dummy/payer", data={**fields, "csrf": parent.csrf},
                                allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"].startswith(fields["return_url"])
        back = resp.headers["Location"]
    async with parent.http.get(back, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/consommations?paiement=ok"
    account = await parent.call("GET", "/api/v1/billing/invoices")
    assert account["invoices"][0]["status_label"] == "Payée"
    assert {p["amount"] for p in account["payments"]} == {"20,00", "18,20"}

    # the tickets go to the family's first address only
    address = f"{family['identifiant'].lower()}@example.fr"

    async def tickets():
        found = [m for m in site.catcher.messages if m.subject == "Portail Famille : ticket de paiement"
                 and address in m.to]
        return found if len(found) == 2 else None

    found = await eventually(tickets)
    assert {("20,00 €" in m.text) or ("18,20 €" in m.text) for m in found} == {True}
    assert any("Chèque" in m.text for m in found) and any("Paiement en ligne" in m.text for m in found)

    # a forged notification (server to server: no session, not signed) pays nothing
    provider = Api(site.url)
    async with provider.http.post(f"{site.url}/api/v1/payments/notification/{CARTEVILLE}",
                                  data=b"transaction_id=x&ok=1",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}) as resp:
        assert resp.status == 404, await resp.text()  # no such transaction
    await provider.close()

    # another family sees none of it
    other, _other_family = await new_family(site, staff, children=1)
    assert (await other.call("GET", f"/api/v1/billing/consumptions?month={prev_key}"))["lines"] == []
    await other.call("GET", f"/api/v1/billing/consumptions?month={prev_key}&family_id={family_id}", expect=404)
    assert (await other.call("GET", "/api/v1/billing/invoices"))["invoices"] == []
    async with other.http.get(f"{site.url}/api/v1/billing/invoices/{invoice['id']}/pdf") as resp:
        assert resp.status == 404
    await other.call("POST", "/api/v1/billing/payments/online", {"invoice_id": invoice["id"]}, expect=404)
    for api in (staff, parent, admin, other):
        await api.close()
