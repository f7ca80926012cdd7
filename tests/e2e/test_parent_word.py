"""Issue 16 on the real stack: the parent side keeps its word. A request answered by staff is « Transmise »
once the night has sent its answer; after a change of quotient familial, the recap, the follow-up, the
consumptions and the invoice show one and the same price per line (the price the transmission settled,
docs/adr/0003); invoices cover a closed month, last month by default, never a day after its end."""

from __future__ import annotations

import datetime as dt
import html
import io
import uuid
from datetime import timedelta

import asyncpg
import pytest
from pypdf import PdfReader

from contracts import BookingTransmittedV1, TransmittedLine
from kit.clock import paris_today
from services.billing.service import OUTBOX
from services.billing.service import invoices as billing_invoices
from services.billing.store import Store as BillingStore
from tests.conftest import eventually
from tests.e2e.test_billing import publish
from tests.e2e.test_bookings import MONTH_END, MONTH_KEY, Api, new_family, open_days
from tests.parent_word import CARTEVILLE, follow_lines, last_month, quotient, quotient_priced_activities
from tests.portal import portal

PASSWORD = "Cantine-Mercredi-2027"  # what new_family renews the password to


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("parole")) as p:
        yield p


@pytest.fixture(scope="module")
async def setup(site):
    """A canteen priced by quotient and a course that needs staff's answer (tests/parent_word.py)."""
    staff, admin = Api(site.url), Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    await admin.login("admin.portail", "Demo-Admin-2027")
    ids = await quotient_priced_activities(site, staff)
    yield staff, admin, ids
    await staff.close()
    await admin.close()


async def test_requests_answered_by_staff_become_transmitted(site, setup):
    staff, admin, ids = setup
    parent, family = await new_family(site, staff, children=2)
    leo, marina = (c["id"] for c in family["children"])
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": leo, "month": MONTH_KEY, "activity_id": ids["stage"]})
    day = open_days(cal)[0]
    results = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child, "activity_id": ids["stage"], "date": day, "action": "reserve"}
        for child in (leo, marina)]}))["results"]
    assert [r["outcome"] for r in results] == ["pending", "pending"]
    await admin.call("POST", "/api/v1/booking/transmissions")  # nothing of theirs goes out before the answers
    assert (await follow_lines(parent, leo))[day]["state"] == "En attente réponse"

    accepted, refused = (r["booking_id"] for r in results)
    assert (await staff.call("POST", f"/api/v1/booking/requests/{accepted}/decision",
                             {"decision": "accept"}))["outcome"] == "accepted"
    await staff.call("POST", f"/api/v1/booking/requests/{refused}/decision",
                     {"decision": "refuse", "reason": "Groupe complet"})
    assert (await follow_lines(parent, leo))[day]["state"] == "Acceptée, non transmise"
    assert (await follow_lines(parent, marina))[day]["state"] == "Refusée, non transmise"

    await admin.call("POST", "/api/v1/booking/transmissions")  # the night
    assert (await follow_lines(parent, leo))[day]["state"] == "Acceptée"  # the guide's transmitted state
    assert (await follow_lines(parent, marina))[day]["state"] == "Refusée"
    transmitted = await parent.call("GET", "/api/v1/booking/follow-up?types=accepted,refused,transmitted")
    assert {(line["person"], line["state"]) for line in transmitted["lines"]} == {
        ("Léo", "Acceptée"), ("Marina", "Refusée")}
    waiting = await parent.call("GET", "/api/v1/booking/follow-up?types=accepted,refused,not_transmitted")
    assert waiting["lines"] == []  # « Non transmise » unticked... nothing left in that state

    # the follow-up page says so too
    browser = site.browser()
    await browser.login(family["identifiant"], PASSWORD)
    page = await browser.get("/reservations/suivi")
    assert page.status == 200
    text = html.unescape(page.text)
    assert "<td data-libelle=\"État\">Acceptée</td></tr>" in text and "<td data-libelle=\"État\">Refusée<span class=\"motif\"> — Motif : Groupe complet" in text
    assert ", non transmise" not in text
    await parent.close()


async def test_one_line_one_price_after_a_quotient_change(site, setup, amqp_url):
    staff, admin, ids = setup
    parent, family = await new_family(site, staff, children=2)
    marina = family["children"][1]["id"]  # rank 2: 2,10 up to QF 700, 2,98 above
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": marina, "month": MONTH_KEY, "activity_id": ids["cantine"]})
    first, second = open_days(cal)[:2]
    await quotient(site, amqp_url, parent, family["family_id"], 650, marina, ids["cantine"], first, "2,10 €")

    line = {"child_id": marina, "activity_id": ids["cantine"], "date": first, "action": "reserve"}
    recap = await parent.call("POST", "/api/v1/booking/basket/recap", {"lines": [line]})
    assert recap["reservations"][0]["cost"] == "2,10 €"
    assert (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [line]}))["results"][0][
        "outcome"] == "accepted"
    await admin.call("POST", "/api/v1/booking/transmissions")

    async def consumed(count: int):
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={MONTH_KEY}")
        return {x["date"]: x for x in data["lines"]} if len(data["lines"]) == count else None

    assert (await eventually(lambda: consumed(1)))[first]["unit_price"] == "2,10"

    # the quotient goes up: a day already transmitted keeps its price everywhere; a new one costs the new price
    await quotient(site, amqp_url, parent, family["family_id"], 1200, marina, ids["cantine"], second, "2,98 €")
    follow = await follow_lines(parent, marina)
    assert (follow[first]["cost"], follow[first]["state"]) == ("2,10", "Acceptée")  # was 2,98: issue 16
    line2 = {**line, "date": second}
    recap = await parent.call("POST", "/api/v1/booking/basket/recap", {"lines": [line2]})
    assert recap["reservations"][0]["cost"] == "2,98 €"
    await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [line2]})
    assert (await follow_lines(parent, marina))[second]["cost"] == "2,98"
    await admin.call("POST", "/api/v1/booking/transmissions")
    follow = await follow_lines(parent, marina)
    assert {d: (x["cost"], x["state"]) for d, x in follow.items()} == {
        first: ("2,10", "Acceptée"), second: ("2,98", "Acceptée")}
    assert (await parent.call("GET", "/api/v1/booking/follow-up"))["total_accepted"] == "5,08"
    lines = await eventually(lambda: consumed(2))
    assert {d: (x["unit_price"], x["total"]) for d, x in lines.items()} == {
        first: ("2,10", "2,10"), second: ("2,98", "2,98")}

    # the month is over (billing's job run with its clock on the day after): the invoice says the same
    pool = await asyncpg.create_pool(site.billing_db, min_size=1, max_size=2)
    try:
        report = await billing_invoices.issue_month(BillingStore(pool), OUTBOX, MONTH_KEY,
                                                    MONTH_END + timedelta(days=1))
    finally:
        await pool.close()
    assert report.invoices >= 1
    account = await parent.call("GET", "/api/v1/billing/invoices")
    [invoice] = account["invoices"]
    assert invoice["total"] == "5,08"
    async with parent.http.get(f"{site.url}/api/v1/billing/invoices/{invoice['id']}/pdf") as resp:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(await resp.read())).pages)
    assert "2,10" in text and "2,98" in text and "3,59" not in text
    await parent.close()


async def test_invoices_of_a_closed_month_only_and_the_consumptions_page_says_which_days(site, setup, amqp_url):
    staff, admin, _ids = setup
    parent, family = await new_family(site, staff, children=1)
    child = family["children"][0]
    today = paris_today()  # billing's day (the families' one, in Paris)
    previous, current = last_month(today), today.replace(day=1)
    end_of_previous = current - timedelta(days=1)
    canteen = str(uuid.uuid4())
    await staff.call("POST", "/api/v1/billing/tariffs", {
        "structure_id": CARTEVILLE, "activity_id": canteen, "activity_name": "REPAS SCOLAIRE",
        "effective_from": "2020-01-01", "unit": "session", "brackets": [{"qf_max": None, "price_cents": 400}]},
        expect=201)
    # transmitted days: the last one of last month, and the first of this month (already committed)
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=family["family_id"], structure_id=CARTEVILLE,
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC), lines=[
            TransmittedLine(booking_id=uuid.uuid4(), child_id=child["id"], child_first_name=child["first_name"],
                            child_last_name=child["last_name"], activity_id=canteen, activity_name="REPAS SCOLAIRE",
                            date=day, kind="reserve", outcome="accepted", unit_price_cents=400, quantity=1,
                            total_cents=400)
            for day in (end_of_previous, current)]))

    async def recorded():
        months = [(await parent.call("GET", f"/api/v1/billing/consumptions?month={m:%Y-%m}"))["lines"]
                  for m in (previous, current)]
        return months if all(months) else None

    await eventually(recorded)
    for month in (f"{current:%Y-%m}", MONTH_KEY):  # this month and a later one are not over
        refused = await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": month}, expect=409)
        assert refused["title"] == "Mois non clos" and f"Le mois {month} n'est pas terminé" in refused["detail"]
    assert (await parent.call("GET", "/api/v1/billing/invoices"))["invoices"] == []

    issued = await admin.call("POST", "/api/v1/billing/invoices/issue", {})  # by default: last month
    assert issued["month"] == f"{previous:%Y-%m}" and issued["invoices"] >= 1
    [invoice] = (await parent.call("GET", "/api/v1/billing/invoices"))["invoices"]
    assert (invoice["total"], invoice["period_start"]) == ("4,00", previous.isoformat())  # not this month's day

    browser = site.browser()
    await browser.login(family["identifiant"], PASSWORD)
    page = await browser.get(f"/consommations?mois={current:%Y-%m}")
    text = " ".join(html.unescape(page.text).split())
    assert page.status == 200 and current.strftime("%d/%m/%Y") in text
    assert ("Les consommations listées sont vos réservations acceptées et transmises" in text
            and "les jours passés et les jours à venir déjà engagés" in text
            and "Une facture ne porte que sur un mois terminé" in text)

    # the administrators' page: the month left empty is last month's
    desk = site.browser()
    await desk.login("admin.portail", "Demo-Admin-2027")
    page = await desk.get("/gestion/exploitation")
    assert 'id="mois" name="mois" type="month" aria-describedby="mois-aide" value=""' in page.text
    done = await desk.post("/gestion/exploitation/factures", {"mois": ""})
    assert done.status == 200 and f"facture(s) émise(s) pour le mois {previous:%Y-%m}" in html.unescape(done.text)
    refused = await desk.post("/gestion/exploitation/factures", {"mois": f"{current:%Y-%m}"})
    assert "n'est pas terminé" in html.unescape(refused.text)
    await parent.close()
