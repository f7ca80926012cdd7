"""Mass closures on the real stack (issue 19): staff close an activity or the structure for some days; every
booking on them is cancelled, the waiting lists cleared, each family gets one mail listing its children's days;
the night's transmission takes the cancellations to billing, which removes a charge not yet invoiced and
credits an invoiced one; a closure is re-opened before its first day; another commune's staff cannot."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import asyncpg
import pytest

from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_bookings import MONTH, MONTH_END, MONTH_KEY, Api, bind, drain, new_family, open_days
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
SUBJECT = "Portail Famille : fermeture"


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("closures")) as p:
        yield p


async def activity(staff: Api, name: str, start: str = "11:30", end: str = "13:30", **extra) -> str:
    created = await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": f"{name} {uuid.uuid4().hex[:4]}", "start_time": start,
        "end_time": end, **extra}, expect=201)
    await staff.call("POST", "/api/v1/billing/tariffs", {
        "structure_id": CARTEVILLE, "activity_id": created["id"], "activity_name": name,
        "effective_from": "2020-01-01", "unit": "session", "brackets": [{"qf_max": None, "price_cents": 300}]},
        expect=201)
    await staff.call("POST", f"/api/v1/booking/activities/{created['id']}/openings", {
        "weekdays": [0, 1, 2, 3, 4], "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()},
        expect=201)
    return created["id"]


async def book(parent: Api, child: str, activity_id: str, day: str) -> str:
    [result] = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child, "activity_id": activity_id, "date": day, "action": "reserve"}]}))["results"]
    return result["outcome"]


def closure_mails(site, family: dict) -> list:
    address = f"{family['identifiant'].lower()}@example.fr"
    return [m for m in site.catcher.messages if address in m.to and m.subject.startswith(SUBJECT)]


async def tariff_known(site, activity_id: str) -> None:
    conn = await asyncpg.connect(site.booking_db)
    try:
        async def copied():
            return await conn.fetchval("SELECT count(*) FROM tariffs WHERE activity_id = $1", uuid.UUID(activity_id))

        await eventually(copied)
    finally:
        await conn.close()


async def test_closure_cancels_clears_waiting_lists_mails_once_per_family_and_reopens(site, amqp_url):
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    closed_conn, closed_queue = await bind(amqp_url, "booking.closed.v1")
    canteen = await activity(staff, "Restauration scolaire")
    wednesday = await activity(staff, "ALSH Après-midi", "14:00", "17:00", capacity=1)
    await tariff_known(site, canteen)
    first, fam1 = await new_family(site, staff, children=2)
    second, fam2 = await new_family(site, staff, children=1)
    leo, marina = (c["id"] for c in fam1["children"])
    zoe = fam2["children"][0]["id"]
    days = open_days(await first.call("POST", "/api/v1/booking/calendar",
                                      {"child_id": leo, "month": MONTH_KEY, "activity_id": canteen}))
    d1, d2, kept, reopened = days[0], days[1], days[2], days[-1]
    for child in (leo, marina, zoe):
        for day in (d1, d2, kept):
            assert await book(first if child != zoe else second, child, canteen, day) == "accepted"
    # one place on the other activity: Léo takes it, Zoé waits
    assert await book(first, leo, wednesday, d1) == "accepted"
    assert await book(second, zoe, wednesday, d1) == "waitlisted"
    await admin.call("POST", "/api/v1/booking/transmissions")  # the night: the days are charged

    async def charged():
        lines = (await first.call("GET", f"/api/v1/billing/consumptions?month={MONTH_KEY}"))["lines"]
        return lines if len(lines) == 7 else None

    await eventually(charged)

    # another commune's staff cannot close CarteVille, nor re-open its closures
    other_structure = (await admin.call("POST", "/api/v1/structures", {"name": f"Commune B {uuid.uuid4().hex[:4]}"},
                                        expect=201))["id"]
    login_b = f"agent.b.{uuid.uuid4().hex[:6]}"
    created_b = await admin.call("POST", "/api/v1/staff", {"login": login_b, "display_name": "Agent B",
                                                           "email": f"{login_b}@example.fr",
                                                           "structure_ids": [other_structure]}, expect=201)
    staff_b = await signed_in_staff(site, login_b, created_b["initial_password"])
    refused = await staff_b.call("POST", f"/api/v1/booking/structures/{CARTEVILLE}/mass-closures",
                                 {"start": d1, "end": d2, "label": "Grève"}, expect=None)
    assert refused["status"] in (403, 404)
    refused = await staff_b.call("POST", f"/api/v1/booking/structures/{other_structure}/mass-closures",
                                 {"start": d1, "end": d2, "label": "Grève", "activity_id": canteen}, expect=None)
    assert refused["status"] in (403, 404)  # its own structure, CarteVille's activity

    # bad input: a clear French refusal, nothing written
    bad = await staff.call("POST", f"/api/v1/booking/structures/{CARTEVILLE}/mass-closures",
                           {"start": d2, "end": d1, "label": "Grève"}, expect=422)
    assert "date de fin" in bad["detail"]

    # the whole structure closed for two days (a strike)
    result = await staff.call("POST", f"/api/v1/booking/structures/{CARTEVILLE}/mass-closures",
                              {"start": d1, "end": d2, "label": "Grève"}, expect=201)
    assert result["cancelled"] == 3 * 2 + 2  # the canteen days of three children, the Wednesday place and its wait
    follow = await first.call("GET", f"/api/v1/booking/follow-up?child_id={leo}")
    states = {(line["date"], line["state"]) for line in follow["lines"]}
    assert any(state.startswith("Annulée") for day, state in states if day in (d1, d2)), states
    cal = await first.call("POST", "/api/v1/booking/calendar", {"child_id": leo, "month": MONTH_KEY,
                                                               "activity_id": canteen})
    assert d1 not in open_days(cal) and d2 not in open_days(cal) and kept in open_days(cal)
    sessions = await staff.call("GET", f"/api/v1/booking/sessions?activity_id={wednesday}&from={d1}&to={d1}")
    assert [(s["accepted"], s["waitlisted"]) for s in sessions["sessions"]] in ([], [(0, 0)])  # waiting list cleared
    assert await book(second, zoe, canteen, d1) != "accepted"  # nobody books a closed day

    # exactly one mail per family, listing its children's days
    [mail1] = await eventually(lambda: _mails(site, fam1), timeout=30, interval=0.5)
    [mail2] = await eventually(lambda: _mails(site, fam2), timeout=30, interval=0.5)
    assert "Grève" in mail1.subject
    assert mail1.text.count("DURAND Léo") == 3 and mail1.text.count("DURAND Marina") == 2
    assert mail2.text.count("DURAND Léo") == 3  # the other family's Léo: two days and his waiting-list request
    [event] = await drain(closed_queue, lambda e: e["payload"]["closure_id"] == result["id"])
    assert len(event["payload"]["cancelled_booking_ids"]) == 8 and "DURAND" not in str(event)
    await asyncio.sleep(1.0)
    assert len(closure_mails(site, fam1)) == 1 and len(closure_mails(site, fam2)) == 1

    # the night takes the cancellations to billing: the charges not yet invoiced go away
    await admin.call("POST", "/api/v1/booking/transmissions")

    async def removed():
        lines = (await first.call("GET", f"/api/v1/billing/consumptions?month={MONTH_KEY}"))["lines"]
        return lines if len(lines) == 2 else None  # Léo's and Marina's kept day

    lines = await eventually(removed)
    assert {line["total"] for line in lines} == {"3,00"}

    # a closure of one activity on a later day, re-opened before it: the day may be booked again
    late = await staff.call("POST", f"/api/v1/booking/structures/{CARTEVILLE}/mass-closures",
                            {"start": reopened, "end": reopened, "label": "Intempéries", "activity_id": canteen},
                            expect=201)
    listed = await staff.call("GET", f"/api/v1/booking/structures/{CARTEVILLE}/mass-closures")
    assert {c["id"] for c in listed["closures"]} >= {result["id"], late["id"]}
    cal = await second.call("POST", "/api/v1/booking/calendar", {"child_id": zoe, "month": MONTH_KEY,
                                                                "activity_id": canteen})
    assert reopened not in open_days(cal)
    await staff_b.call("DELETE", f"/api/v1/booking/mass-closures/{late['id']}", expect=404)
    await staff.call("DELETE", f"/api/v1/booking/mass-closures/{late['id']}", expect=204)
    await staff.call("DELETE", f"/api/v1/booking/mass-closures/{late['id']}", expect=409)
    assert await book(second, zoe, canteen, reopened) == "accepted"
    for api in (staff, admin, first, second, staff_b):
        await api.close()
    await closed_conn.close()


async def _mails(site, family):
    return closure_mails(site, family) or None


async def signed_in_staff(site, login: str, password: str) -> Api:
    """A new staff account, past its first sign-in's password renewal (not what this test is about)."""
    conn = await site.db()
    try:
        await conn.execute("UPDATE accounts SET must_change_password = false WHERE login = $1", login)
    finally:
        await conn.close()
    api = Api(site.url)
    await api.login(login, password)
    return api


async def test_closure_of_an_invoiced_day_credits_it(site):
    """A day of last month, charged and invoiced, closed afterwards (a strike recorded late): the night's
    transmission credits it; it cannot be re-opened any more."""
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    canteen = await activity(staff, "Repas scolaire")
    await tariff_known(site, canteen)
    parent, family = await new_family(site, staff, children=1)
    child = family["children"][0]["id"]
    last_month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=10)
    month_key = last_month.strftime("%Y-%m")
    conn = await asyncpg.connect(site.booking_db)
    try:  # a day of last month, booked then (the portal only books ahead: written as it would have been)
        session = await conn.fetchval(
            "INSERT INTO sessions (id, activity_id, day, start_time, end_time) VALUES (gen_random_uuid(), $1, $2, "
            "'11:30', '13:30') RETURNING id", uuid.UUID(canteen), last_month)
        booking = await conn.fetchval(
            "INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, status) VALUES "
            "(gen_random_uuid(), $1, $2, $3, $4, $5, 'accepted') RETURNING id", session, uuid.UUID(canteen),
            uuid.UUID(child), uuid.UUID(family["family_id"]), last_month)
        await conn.execute("INSERT INTO movements (booking_id, family_id, kind, outcome) VALUES ($1, $2, 'reserve', "
                           "'accepted')", booking, uuid.UUID(family["family_id"]))
    finally:
        await conn.close()
    await admin.call("POST", "/api/v1/booking/transmissions")

    async def history():
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={month_key}")
        return data if data["lines"] else None

    await eventually(history)
    await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": month_key})
    [invoice] = (await parent.call("GET", "/api/v1/billing/invoices"))["invoices"]
    assert invoice["total"] == "3,00"

    closed = await staff.call("POST", f"/api/v1/booking/structures/{CARTEVILLE}/mass-closures", {
        "start": last_month.isoformat(), "end": last_month.isoformat(), "label": "Grève", "activity_id": canteen},
        expect=201)
    assert closed["cancelled"] == 1
    await admin.call("POST", "/api/v1/booking/transmissions")

    async def credited():
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={month_key}")
        return data if len(data["lines"]) == 2 else None

    data = await eventually(credited)
    assert sorted(line["total"] for line in data["lines"]) == ["-3,00", "3,00"] and data["total"] == "0,00"
    [mail] = await eventually(lambda: _mails(site, family), timeout=30, interval=0.5)
    assert "Repas scolaire" in mail.text
    refused = await staff.call("DELETE", f"/api/v1/booking/mass-closures/{closed['id']}", expect=409)
    assert "commencé" in refused["detail"]
    for api in (staff, admin, parent):
        await api.close()
