"""Billing's trust boundaries on the real stack (issue 13): staff see and act on a family's billing only
in the structures they work for. One family attends two structures (its eldest at CarteVille, its
youngest at a second structure created by the administrator); each structure's staff see only their
structure's lines, invoices, payments and balance, a payment recorded at a structure's desk pays only
that structure's invoices, and nobody records a payment for a family that has nothing in their structure.
The family and the administrator see everything. Fixed months (February and March 2026): the test does
not depend on the day it runs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from urllib.parse import urlencode

import asyncpg
import pytest

from contracts import BookingTransmittedV1, TransmittedLine
from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_billing import publish
from tests.e2e.test_bookings import Api
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
FEBRUARY, MARCH = "2026-02", "2026-03"


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("billing-access")) as p:
        yield p


async def signed_in(site, login: str, password: str) -> Api:
    api = Api(site.url)
    await api.login(login, password)
    return api


async def staff_of_new_structure(site, admin: Api, name: str) -> tuple[str, Api]:
    """The administrator creates a structure and a staff account for it; the account signs in."""
    structure_id = (await admin.call("POST", "/api/v1/structures", {"name": name}, expect=201))["id"]
    login = f"agent.{uuid.uuid4().hex[:8]}"
    created = await admin.call("POST", "/api/v1/staff", {
        "login": login, "display_name": f"Agent {name}", "email": f"{login}@example.fr",
        "structure_ids": [structure_id]}, expect=201)
    conn = await site.db()
    try:  # past the first sign-in's password renewal, which is not what this test is about
        await conn.execute("UPDATE accounts SET must_change_password = false WHERE login = $1", login)
    finally:
        await conn.close()
    return structure_id, await signed_in(site, login, created["initial_password"])


async def family(admin: Api, children: list[tuple[str, str]]) -> dict:
    """A family of CarteVille created by the administrator; each child attends the structure given."""
    identifiant = f"ACC-{uuid.uuid4().hex[:8]}"
    created = await admin.call("POST", "/api/v1/families", {
        "identifiant": identifiant, "responsable": {"first_name": "Inès", "last_name": "MARTIN"},
        "emails": [f"{identifiant.lower()}@example.fr"], "structure_id": CARTEVILLE,
        "initial_password": "Initial-Pass-2026",
        "children": [{"first_name": first, "last_name": "MARTIN", "birth_date": f"201{6 + i}-05-0{i + 1}",
                      "structure_id": structure} for i, (first, structure) in enumerate(children)]}, expect=201)
    known = await admin.call("GET", f"/api/v1/families/{created['family_id']}")
    kids = {c["first_name"]: c["id"] for c in known["children"]}
    return {"id": created["family_id"], "identifiant": identifiant, "children": kids}


async def parent_of(site, identifiant: str) -> Api:
    """The family signs in, renews its password and accepts the RGPD/CGU, as on its first visit."""
    b = site.browser()
    await b.login(identifiant, "Initial-Pass-2026")
    await b.post("/mise-a-jour-securite", {"nouveau": "Cantine-Mercredi-2027", "confirmation": "Cantine-Mercredi-2027"})
    await b.get("/consentements")
    await b.post("/consentements", {"accepte_rgpd": "oui", "accepte_cgu": "oui"})
    return await signed_in(site, identifiant, "Cantine-Mercredi-2027")


async def transmit(amqp_url: str, fam: dict, structure_id: str, child: str, activity: tuple[str, str],
                   days: list[dt.date]) -> None:
    activity_id, activity_name = activity
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=fam["id"], structure_id=structure_id, structure_name="",
        transmitted_at=dt.datetime(2026, 3, 31, 23, tzinfo=dt.UTC), lines=[TransmittedLine(
            booking_id=uuid.uuid4(), child_id=fam["children"][child], child_first_name=child,
            child_last_name="MARTIN", activity_id=activity_id, activity_name=activity_name, date=day, kind="reserve",
            outcome="accepted") for day in days]))


def lines_of(history: dict) -> set[tuple[str, str]]:
    return {(line["first_name"], line["date"]) for line in history["lines"]}


@pytest.fixture(scope="module")
async def world(site, amqp_url):
    """Two structures with their staff and tariffs; the Martins attend both, the Duvals CarteVille only;
    February's and March's invoices issued."""
    admin = await signed_in(site, "admin.portail", "Demo-Admin-2027")
    carteville = await signed_in(site, "agent.carteville", "Demo-Agent-2027")  # staff of CarteVille only
    bourg, bourg_staff = await staff_of_new_structure(site, admin, f"Centre de loisirs {uuid.uuid4().hex[:6]}")

    # one tariff per structure, each published by that structure's staff (not by the other's)
    canteen, centre = (str(uuid.uuid4()), "RESTAURATION CARTEVILLE"), (str(uuid.uuid4()), "CENTRE DE LOISIRS")
    tariff = {"effective_from": "2020-01-01", "unit": "session"}
    await carteville.call("POST", "/api/v1/billing/tariffs", {
        **tariff, "structure_id": bourg, "activity_id": centre[0], "activity_name": centre[1],
        "brackets": [{"qf_max": None, "price_cents": 1}]}, expect=403)
    await carteville.call("POST", "/api/v1/billing/tariffs", {
        **tariff, "structure_id": CARTEVILLE, "activity_id": canteen[0], "activity_name": canteen[1],
        "brackets": [{"qf_max": None, "price_cents": 400}]}, expect=201)
    await bourg_staff.call("POST", "/api/v1/billing/tariffs", {
        **tariff, "structure_id": bourg, "activity_id": centre[0], "activity_name": centre[1],
        "brackets": [{"qf_max": None, "price_cents": 700}]}, expect=201)

    # the Martins: Léa eats at CarteVille's canteen in March, Noé went to the other centre in February;
    # the Duvals only ever ate at CarteVille
    martins = await family(admin, [("Léa", CARTEVILLE), ("Noé", bourg)])
    duvals = await family(admin, [("Tom", CARTEVILLE)])
    await transmit(amqp_url, martins, bourg, "Noé", centre, [dt.date(2026, 2, 11), dt.date(2026, 2, 18)])
    await transmit(amqp_url, martins, CARTEVILLE, "Léa", canteen, [dt.date(2026, 3, 9), dt.date(2026, 3, 10)])
    await transmit(amqp_url, duvals, CARTEVILLE, "Tom", canteen, [dt.date(2026, 3, 9)])

    async def recorded():
        feb = await admin.call("GET", f"/api/v1/billing/consumptions?family_id={martins['id']}&month={FEBRUARY}")
        mar = await admin.call("GET", f"/api/v1/billing/consumptions?family_id={martins['id']}&month={MARCH}")
        tom = await admin.call("GET", f"/api/v1/billing/consumptions?family_id={duvals['id']}&month={MARCH}")
        return len(feb["lines"]) == 2 and len(mar["lines"]) == 2 and len(tom["lines"]) == 1

    await eventually(recorded)
    # February first: the other centre's invoice is the Martins' oldest one
    assert (await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": FEBRUARY}))["invoices"] == 1
    assert (await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": MARCH}))["invoices"] == 2
    both = await admin.call("GET", f"/api/v1/billing/invoices?family_id={martins['id']}")
    assert sorted(i["total"] for i in both["invoices"]) == ["14,00", "8,00"] and both["balance"] == "-22,00"
    yield {"admin": admin, "carteville": carteville, "bourg": bourg, "bourg_staff": bourg_staff,
           "martins": martins, "duvals": duvals,
           "bourg_invoice": next(i["id"] for i in both["invoices"] if i["total"] == "14,00"),
           "carteville_invoice": next(i["id"] for i in both["invoices"] if i["total"] == "8,00")}
    for api in (admin, carteville, bourg_staff):
        await api.close()


async def test_staff_see_only_their_structures_lines_invoices_and_balance(site, world):
    carteville, bourg_staff, martins_id = world["carteville"], world["bourg_staff"], world["martins"]["id"]
    # consumptions: each structure's staff see their own lines only (the API, its CSV and its PDF)
    for month, expected in ((FEBRUARY, set()), (MARCH, {("Léa", "2026-03-09"), ("Léa", "2026-03-10")})):
        seen = await carteville.call("GET", f"/api/v1/billing/consumptions?family_id={martins_id}&month={month}")
        assert lines_of(seen) == expected, month
    seen = await bourg_staff.call("GET", f"/api/v1/billing/consumptions?family_id={martins_id}&month={MARCH}")
    assert seen["lines"] == []
    seen = await bourg_staff.call("GET", f"/api/v1/billing/consumptions?family_id={martins_id}&month={FEBRUARY}")
    assert lines_of(seen) == {("Noé", "2026-02-11"), ("Noé", "2026-02-18")} and seen["total"] == "14,00"
    async with carteville.http.get(
            f"{site.url}/api/v1/billing/consumptions/export.csv?family_id={martins_id}&month={FEBRUARY}") as resp:
        assert resp.status == 200
        rows = list(csv.reader(io.StringIO((await resp.read()).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and "Noé" not in str(rows) and rows[-1][-1] == "0,00"  # header and total only
    async with carteville.http.get(
            f"{site.url}/api/v1/billing/consumptions/export.pdf?family_id={martins_id}&month={FEBRUARY}") as resp:
        assert resp.status == 200 and "Noé".encode() not in await resp.read()

    # invoices and balance: CarteVille's staff see CarteVille's, the other centre's staff theirs
    seen = await carteville.call("GET", f"/api/v1/billing/invoices?family_id={martins_id}")
    assert [i["id"] for i in seen["invoices"]] == [world["carteville_invoice"]] and seen["balance"] == "-8,00"
    seen = await bourg_staff.call("GET", f"/api/v1/billing/invoices?family_id={martins_id}")
    assert [i["id"] for i in seen["invoices"]] == [world["bourg_invoice"]] and seen["balance"] == "-14,00"
    async with carteville.http.get(f"{site.url}/api/v1/billing/invoices/{world['bourg_invoice']}/pdf") as resp:
        assert resp.status == 404


async def test_a_payment_at_a_desk_pays_only_that_structures_invoices(world):
    admin, carteville, bourg_staff = world["admin"], world["carteville"], world["bourg_staff"]
    martins_id = world["martins"]["id"]
    # a cheque at CarteVille's desk pays CarteVille's invoice, not the other centre's (older) one
    await carteville.call("POST", "/api/v1/billing/payments", {
        "family_id": martins_id, "structure_id": CARTEVILLE, "amount": "8,00", "method": "cheque",
        "reference": "CHQ-CARTEVILLE"}, expect=201)
    both = {i["id"]: i for i in (await admin.call("GET", f"/api/v1/billing/invoices?family_id={martins_id}"))["invoices"]}
    assert both[world["carteville_invoice"]]["remaining"] == "0,00"
    assert both[world["bourg_invoice"]]["remaining"] == "14,00"
    # the other centre's staff do not see it; CarteVille's staff do
    seen = await bourg_staff.call("GET", f"/api/v1/billing/invoices?family_id={martins_id}")
    assert seen["payments"] == [] and seen["balance"] == "-14,00"
    seen = await carteville.call("GET", f"/api/v1/billing/invoices?family_id={martins_id}")
    assert [p["reference"] for p in seen["payments"]] == ["CHQ-CARTEVILLE"] and seen["balance"] == "0,00"
    # no desk records a payment for another structure, even one the family attends
    await carteville.call("POST", "/api/v1/billing/payments", {
        "family_id": martins_id, "structure_id": world["bourg"], "amount": "14,00", "method": "cash"}, expect=403)


async def test_no_payment_for_a_family_with_nothing_in_the_structure(site, world):
    admin, bourg_staff, duvals = world["admin"], world["bourg_staff"], world["duvals"]
    refused = await bourg_staff.call("POST", "/api/v1/billing/payments", {
        "family_id": duvals["id"], "structure_id": world["bourg"], "amount": "4,00", "method": "cash",
        "reference": "ESP-INTRUS"}, expect=404)
    assert "Famille introuvable" in refused["detail"]
    await bourg_staff.call("GET", f"/api/v1/billing/invoices?family_id={duvals['id']}", expect=404)
    await bourg_staff.call("GET", f"/api/v1/billing/consumptions?family_id={duvals['id']}&month={MARCH}", expect=404)
    conn = await asyncpg.connect(site.billing_db)
    try:  # nothing recorded, nothing allocated, no ticket on its way to the Duvals
        assert await conn.fetchval("SELECT count(*) FROM payments WHERE family_id = $1", uuid.UUID(duvals["id"])) == 0
        tickets = "SELECT count(*) FROM outbox WHERE routing_key LIKE 'billing.payment_received.%' " \
                  "AND body->'payload'->>'family_id' = $1"
        assert await conn.fetchval(tickets, duvals["id"]) == 0
        assert await conn.fetchval(tickets, world["martins"]["id"]) == 1  # (the Martins' cheque has its ticket)
    finally:
        await conn.close()
    duvals_invoices = (await admin.call("GET", f"/api/v1/billing/invoices?family_id={duvals['id']}"))["invoices"]
    assert [i["remaining"] for i in duvals_invoices] == ["4,00"]


@pytest.fixture(scope="module")
async def parent(site, world):
    """The Martins, signed in."""
    api = await parent_of(site, world["martins"]["identifiant"])
    yield api
    await api.close()


async def test_the_family_and_the_administrator_see_both_structures(world, parent):
    martins = world["martins"]
    mine = await parent.call("GET", "/api/v1/billing/invoices")
    everything = await world["admin"].call("GET", f"/api/v1/billing/invoices?family_id={martins['id']}")
    assert {i["id"] for i in mine["invoices"]} == {i["id"] for i in everything["invoices"]} == {
        world["bourg_invoice"], world["carteville_invoice"]}
    assert mine["balance"] == everything["balance"] and mine["payments"] == everything["payments"]
    for month, child in ((FEBRUARY, "Noé"), (MARCH, "Léa")):
        assert {first for first, _day in lines_of(await parent.call(
            "GET", f"/api/v1/billing/consumptions?month={month}"))} == {child}


# Not months: out of range, year 0 or beyond what a date holds, a bare number, another calendar's digits.
BAD_MONTHS = ["2026-13", "2026-00", "0000-00", "0001-01", "9999-12", "99999-01", "202603", "5", "2026-3",
              "2026-03-01", "mars", "٢٠٢٦-٠٣", "2026-+3", " 2026-03"]


@pytest.mark.parametrize("month", BAD_MONTHS)
async def test_a_month_that_is_not_one_is_refused_in_french(site, world, parent, month):
    """The API (consumptions, their exports, invoicing) answers a French 4xx problem, never a 5xx."""
    admin, martins_id = world["admin"], world["martins"]["id"]
    query = urlencode({"month": month})
    for api, path in ((parent, f"/api/v1/billing/consumptions?{query}"),
                      (world["carteville"], f"/api/v1/billing/consumptions?family_id={martins_id}&{query}"),
                      (parent, f"/api/v1/billing/consumptions/export.csv?{query}"),
                      (parent, f"/api/v1/billing/consumptions/export.pdf?{query}"),
                      (admin, f"/api/v1/billing/consumptions/export.csv?family_id={martins_id}&{query}")):
        async with api.http.get(site.url + path) as resp:
            assert resp.status == 400, (path, resp.status)
            assert resp.content_type.endswith("json")  # a problem body
            assert "Mois invalide" in (await resp.json())["detail"], path
    refused = await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": month}, expect=400)
    assert "Mois invalide" in refused["detail"]


@pytest.mark.parametrize("month", ["2026-13", "0000-00", "9999-12", "0001-01", "99999-01", "202603", "٢٠٢٦-٠٣"])
async def test_the_consumptions_pages_refuse_a_month_that_is_not_one_in_french(site, parent, month):
    """The family's pages (history, print, exports) answer a French 400 page, never a 5xx."""
    for path in ("/consommations", "/consommations/imprimer", "/consommations/export.csv",
                 "/consommations/export.pdf"):
        async with parent.http.get(f"{site.url}{path}?{urlencode({'mois': month})}") as resp:
            assert resp.status == 400, (path, resp.status)
            text = await resp.text()
            assert "Période invalide" in text or "Seuls le mois en cours et le mois précédent" in text, path


async def test_a_tariff_published_by_another_structure_prices_nothing_there(site, amqp_url):
    """Staff of Y publish a tariff naming an activity of CarteVille (billing cannot tell yet: no booking of it
    was transmitted): it neither blocks CarteVille's own tariff nor prices CarteVille's lines, in billing or
    in booking's calendar."""
    admin = await signed_in(site, "admin.portail", "Demo-Admin-2027")
    staff_x = await signed_in(site, "agent.carteville", "Demo-Agent-2027")
    structure_y, staff_y = await staff_of_new_structure(site, admin, "Accueil de loisirs Y")
    activity = (await staff_x.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": f"Restauration {uuid.uuid4().hex[:4]}", "start_time": "11:30",
        "end_time": "13:30"}, expect=201))["id"]

    def tariff(structure: str, effective_from: str, cents: int) -> dict:
        return {"structure_id": structure, "activity_id": activity, "activity_name": "Restauration",
                "effective_from": effective_from, "unit": "session",
                "brackets": [{"qf_max": None, "price_cents": cents}]}

    await staff_y.call("POST", "/api/v1/billing/tariffs", tariff(structure_y, "2026-09-01", 1), expect=201)
    await staff_x.call("POST", "/api/v1/billing/tariffs", tariff(CARTEVILLE, "2026-09-01", 280), expect=201)
    await staff_y.call("POST", "/api/v1/billing/tariffs", tariff(structure_y, "2026-09-02", 2), expect=201)

    fam = await family(admin, [("Léa", CARTEVILLE)])
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=fam["id"], structure_id=uuid.UUID(CARTEVILLE), structure_name="",
        transmitted_at=dt.datetime(2026, 10, 5, 23, tzinfo=dt.UTC), lines=[TransmittedLine(
            booking_id=uuid.uuid4(), child_id=fam["children"]["Léa"], child_first_name="Léa",
            child_last_name="MARTIN", activity_id=uuid.UUID(activity), activity_name="Restauration",
            date=dt.date(2026, 10, 5), kind="reserve", outcome="accepted")]))
    billing = await asyncpg.connect(site.billing_db)
    booking = await asyncpg.connect(site.booking_db)
    try:
        async def charged():
            return await billing.fetchval("SELECT total_cents FROM consumptions WHERE activity_id = $1",
                                          uuid.UUID(activity))

        assert await eventually(charged) == 280

        async def booking_prices():  # CarteVille's tariff has reached booking; Y's never does
            rows = await booking.fetch("SELECT effective_from FROM tariffs WHERE activity_id = $1", uuid.UUID(activity))
            return [r["effective_from"] for r in rows] or None

        assert await eventually(booking_prices) == [dt.date(2026, 9, 1)]
    finally:
        await billing.close()
        await booking.close()
    for api in (admin, staff_x, staff_y):
        await api.close()
