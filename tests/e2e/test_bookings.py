"""Bookings through the gateway on the real stack: staff set activities up, parents book a month for
two children with the quick tools, recap and confirm, follow up, copy, wait on a list and get
promoted, and the nightly transmission's events are read back from a real queue."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import aio_pika
import aiohttp
import asyncpg
import pytest

from services.auth import demo
from tests.conftest import eventually
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)


def month_ahead(months: int = 2) -> date:
    today = date.today()
    year, month = today.year + (today.month - 1 + months) // 12, (today.month - 1 + months) % 12 + 1
    return date(year, month, 1)


MONTH = month_ahead(2)
MONTH_KEY = MONTH.strftime("%Y-%m")
MONTH_END = (MONTH.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


class Api:
    """A signed-in user of the JSON API (session cookie + CSRF header)."""

    def __init__(self, base: str):
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def login(self, identifiant: str, password: str) -> dict:
        async with self.http.post(self.base + "/api/v1/session",
                                  json={"identifiant": identifiant, "mot_de_passe": password}) as resp:
            assert resp.status == 201, await resp.text()
            data = await resp.json()
        self.csrf = data["csrf_token"]
        return data

    async def call(self, method: str, path: str, body=None, expect: int | None = 200):
        async with self.http.request(method, self.base + path, json=body,
                                     headers={"X-CSRF-Token": self.csrf}) as resp:
            data = await resp.json() if resp.content_type.endswith("json") else await resp.text()
            if expect is not None:
                assert resp.status == expect, (resp.status, data)
            return data

    async def close(self):
        await self.http.close()


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("bookings")) as p:
        yield p


@pytest.fixture(scope="module")
async def setup(site):
    """Staff of CarteVille configure four activities and open them for the month."""
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    tag = uuid.uuid4().hex[:4]

    async def activity(name, start, end, **extra):
        body = {"structure_id": CARTEVILLE, "name": f"{name} {tag}", "start_time": start, "end_time": end, **extra}
        return (await staff.call("POST", "/api/v1/booking/activities", body, expect=201))["id"]

    ids = {
        "cantine": await activity("Restauration scolaire", "11:30", "13:30"),
        "aps": await activity("APS Matin", "07:15", "08:15"),
        "saisie": await activity("Accueil Saisie temps", "07:00", "08:30", kind="time_entry"),
        "mercredi": await activity("ALSH Mercredi", "09:00", "17:00", capacity=1),
        "stage": await activity("Stage sur demande", "14:00", "16:00", needs_approval=True),
    }
    # billing's tariffs (the one pricing rule); booking shows costs from its copy of them
    for key, cents, unit in (("cantine", 280, "session"), ("aps", 112, "session"), ("saisie", 60, "half_hour"),
                             ("mercredi", 521, "session")):
        await staff.call("POST", "/api/v1/billing/tariffs", {
            "structure_id": CARTEVILLE, "activity_id": ids[key], "activity_name": key,
            "effective_from": "2026-09-01", "unit": unit, "brackets": [{"qf_max": None, "price_cents": cents}]},
            expect=201)
    conn = await asyncpg.connect(site.booking_db)
    try:
        async def copied():
            return await conn.fetchval("SELECT count(*) FROM tariffs WHERE activity_id = ANY($1::uuid[])",
                                       [uuid.UUID(ids[k]) for k in ("cantine", "aps", "saisie", "mercredi")]) == 4

        await eventually(copied)
    finally:
        await conn.close()
    school = {"period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()}
    for key, weekdays in (("cantine", [0, 1, 3, 4]), ("aps", [0, 1]), ("saisie", [0, 1, 3, 4]),
                          ("mercredi", [2]), ("stage", [3])):
        created = await staff.call("POST", f"/api/v1/booking/activities/{ids[key]}/openings",
                                   {**school, "weekdays": weekdays}, expect=201)
        assert created["created"] > 0
    # generating again creates nothing twice
    again = await staff.call("POST", f"/api/v1/booking/activities/{ids['cantine']}/openings",
                             {**school, "weekdays": [0, 1, 3, 4]}, expect=201)
    assert again["created"] == 0
    yield staff, ids
    await staff.close()


async def new_family(site, staff: Api, children: int = 2) -> tuple[Api, dict]:
    """Staff create a family; it signs in, renews its password, accepts the CGU; booking learns its
    children from auth's event."""
    identifiant = f"RES-{uuid.uuid4().hex[:8]}"
    kids = [{"first_name": name, "last_name": "DURAND", "birth_date": f"201{7 + i}-03-0{i + 1}"}
            for i, name in enumerate(["Léo", "Marina", "Zoé"][:children])]
    created = await staff.call("POST", "/api/v1/families", {
        "identifiant": identifiant, "responsable": {"first_name": "Alice", "last_name": "DURAND"},
        "emails": [f"{identifiant.lower()}@example.fr"], "structure_id": CARTEVILLE, "children": kids,
        "initial_password": "Initial-Pass-2026"}, expect=201)
    parent = Api(site.url)
    await parent.login(identifiant, "Initial-Pass-2026")
    b = site.browser()
    await b.login(identifiant, "Initial-Pass-2026")
    await b.post("/mise-a-jour-securite", {"nouveau": "Cantine-Mercredi-2027", "confirmation": "Cantine-Mercredi-2027"})
    await b.get("/consentements")
    await b.post("/consentements", {"accepte_rgpd": "oui", "accepte_cgu": "oui"})
    await parent.login(identifiant, "Cantine-Mercredi-2027")

    async def children_known():
        data = await parent.call("GET", "/api/v1/booking/children")
        return data["children"] if len(data["children"]) == children else None

    kids = await eventually(children_known)
    return parent, {"family_id": created["family_id"], "children": kids, "identifiant": identifiant}


def open_days(calendar: dict) -> list[str]:
    return [d["date"] for d in calendar["days"] if d["state"] != "closed"]


async def test_a_month_for_two_children_with_quick_tools_recap_confirm_and_follow_up(site, setup):
    staff, ids = setup
    parent, family = await new_family(site, staff)
    leo, marina = family["children"][0]["id"], family["children"][1]["id"]

    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": leo, "month": MONTH_KEY, "activity_id": ids["cantine"]})
    days = open_days(cal)
    assert days and all(d["symbol"] == "●" for d in cal["days"] if d["date"] in days)
    assert {entry["symbol"] for entry in cal["legend"]} >= {"✖", "●", "⏳", "📅", "⚠️", "🚫"}

    # the whole month for Léo: nothing is recorded yet
    basket = (await parent.call("POST", "/api/v1/booking/basket/quick", {
        "child_id": leo, "activity_id": ids["cantine"], "month": MONTH_KEY, "scope": "month"}))["basket"]
    assert sorted(line["date"] for line in basket) == days and {line["action"] for line in basket} == {"reserve"}
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": leo, "month": MONTH_KEY, "activity_id": ids["cantine"], "basket": basket})
    assert all(d["pending"] == "reserve" and d["symbol"] == "●" for d in cal["days"] if d["date"] in days)

    # every Monday and the first week for Marina
    basket = (await parent.call("POST", "/api/v1/booking/basket/quick", {
        "child_id": marina, "activity_id": ids["cantine"], "month": MONTH_KEY, "scope": "weekday", "weekday": 0,
        "basket": basket}))["basket"]
    mondays = [d for d in days if date.fromisoformat(d).weekday() == 0]
    first_week_day = date.fromisoformat(days[0])
    basket = (await parent.call("POST", "/api/v1/booking/basket/quick", {
        "child_id": marina, "activity_id": ids["cantine"], "month": MONTH_KEY, "scope": "week",
        "day": first_week_day.isoformat(), "basket": basket}))["basket"]
    marina_days = {line["date"] for line in basket if line["child_id"] == marina}
    week = {d for d in days if 0 <= (date.fromisoformat(d) - (first_week_day - timedelta(days=first_week_day.weekday()))).days < 7}
    if first_week_day.isoformat() in mondays:
        # the week's first bookable day was already pending: the same tool now takes the week off
        assert marina_days == set(mondays) - week
    else:
        assert marina_days == set(mondays) | week

    recap = await parent.call("POST", "/api/v1/booking/basket/recap", {"lines": basket})
    assert len(recap["reservations"]) == len(basket) and recap["cancellations"] == []
    first = recap["reservations"][0]
    assert first["cost"] == "2,80 €" and first["arrival"] == "11:30" and first["departure"] == "13:30"
    assert first["day"][:2] in ("Lu", "Ma", "Je", "Ve")
    # nothing recorded by the recap
    follow = await parent.call("GET", "/api/v1/booking/follow-up")
    assert follow["lines"] == []

    results = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": basket}))["results"]
    assert {r["outcome"] for r in results} == {"accepted"}

    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": leo, "month": MONTH_KEY, "activity_id": ids["cantine"]})
    assert all(d["symbol"] == "📅" for d in cal["days"] if d["date"] in days)

    follow = await parent.call("GET", "/api/v1/booking/follow-up")
    assert len(follow["lines"]) == len(basket)
    assert {line["state"] for line in follow["lines"]} == {"Acceptée, non transmise"}
    assert follow["total_accepted_cents"] == 280 * len(basket)
    only_marina = await parent.call("GET", f"/api/v1/booking/follow-up?child_id={marina}")
    assert {line["person"] for line in only_marina["lines"]} == {"Marina"}
    none = await parent.call("GET", "/api/v1/booking/follow-up?types=refused,transmitted")
    assert none["lines"] == []

    # the month tool on a booked month cancels it all (after recap and confirm)
    cancel = (await parent.call("POST", "/api/v1/booking/basket/quick", {
        "child_id": leo, "activity_id": ids["cantine"], "month": MONTH_KEY, "scope": "month"}))["basket"]
    assert {line["action"] for line in cancel} == {"cancel"} and len(cancel) == len(days)
    recap = await parent.call("POST", "/api/v1/booking/basket/recap", {"lines": cancel[:2]})
    assert len(recap["cancellations"]) == 2 and recap["reservations"] == []
    results = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": cancel[:2]}))["results"]
    assert {r["outcome"] for r in results} == {"cancelled"}
    follow = await parent.call("GET", f"/api/v1/booking/follow-up?child_id={leo}")
    assert sum(line["state"] == "Annulée, non transmise" for line in follow["lines"]) == 2

    # another family cannot look at these children
    other, _ = await new_family(site, staff, children=1)
    await other.call("POST", "/api/v1/booking/calendar", {"child_id": leo, "month": MONTH_KEY}, expect=404)
    await other.call("POST", "/api/v1/booking/basket/confirm",
                     {"lines": [{**basket[0], "child_id": leo}]}, expect=404)
    for api in (parent, other):
        await api.close()


async def test_day_view_time_entry_and_incompatible_hours(site, setup):
    staff, ids = setup
    parent, family = await new_family(site, staff, children=1)
    child = family["children"][0]["id"]
    cal = await parent.call("POST", "/api/v1/booking/calendar", {"child_id": child, "month": MONTH_KEY})
    monday = next(d["date"] for d in cal["days"] if date.fromisoformat(d["date"]).weekday() == 0 and d["state"] != "closed")
    view = await parent.call("POST", "/api/v1/booking/day", {"child_id": child, "date": monday})
    names = [a["activity"] for a in view["activities"]]
    assert any(n.startswith("APS Matin") for n in names) and any(n.startswith("Restauration") for n in names)
    aps = next(a for a in view["activities"] if a["activity"].startswith("APS Matin"))
    assert (aps["start"], aps["end"], aps["price"], aps["symbol"]) == ("07:15", "08:15", "1,12 €", "●")

    saisie = {"child_id": child, "activity_id": ids["saisie"], "date": monday, "action": "reserve"}
    results = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {**saisie, "arrival": "06:30", "departure": "08:00"}]}))["results"]
    assert results[0]["outcome"] == "rejected" and "horaires à choisir entre 07:00 et 08:30" in results[0]["reason"]
    results = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {**saisie, "arrival": "07:35", "departure": "08:10"},
        {"child_id": child, "activity_id": ids["aps"], "date": monday, "action": "reserve"}]}))["results"]
    by_activity = {r["activity_id"]: r for r in results}
    assert by_activity[ids["saisie"]]["outcome"] == "accepted"
    assert by_activity[ids["aps"]]["outcome"] == "rejected"
    assert by_activity[ids["aps"]]["reason"].startswith("horaires incompatibles avec Accueil Saisie temps")
    follow = await parent.call("GET", "/api/v1/booking/follow-up")
    assert (follow["lines"][0]["arrival"], follow["lines"][0]["departure"]) == ("07:35", "08:10")
    await parent.close()


async def test_copy_lists_what_could_not_be_imported(site, setup):
    staff, ids = setup
    parent, family = await new_family(site, staff)
    leo, marina = family["children"][0]["id"], family["children"][1]["id"]
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": leo, "month": MONTH_KEY, "activity_id": ids["cantine"]})
    days = open_days(cal)
    aps_days = {d for d in days if date.fromisoformat(d).weekday() in (0, 1)}
    early = min(aps_days)  # the month may start on any weekday: the first Monday or Tuesday
    # Marina already comes early on the first APS day (time entry overlapping APS Matin)
    await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": marina, "activity_id": ids["saisie"], "date": early, "action": "reserve",
         "arrival": "07:00", "departure": "08:00"}]})
    basket = (await parent.call("POST", "/api/v1/booking/basket/quick", {
        "child_id": leo, "activity_id": ids["cantine"], "month": MONTH_KEY, "scope": "month"}))["basket"]
    copied = await parent.call("POST", "/api/v1/booking/basket/copy", {
        "source_child_id": leo, "source_activity_id": ids["cantine"], "start": MONTH.isoformat(),
        "end": MONTH_END.isoformat(), "target_child_id": marina, "target_activity_id": ids["aps"], "basket": basket})
    imported = {line["date"] for line in copied["basket"] if line["child_id"] == marina}
    reasons = {item["date"]: item["reason"] for item in copied["not_imported"]}
    assert imported == aps_days - {early}
    assert reasons[early].startswith("horaires incompatibles avec Accueil Saisie temps")
    thursdays = [d for d in days if date.fromisoformat(d).weekday() == 3]
    assert reasons[thursdays[0]] == "activité non ouverte ce jour"
    assert all(item["label"].split()[0] in ("Lundi", "Mardi", "Jeudi", "Vendredi") for item in copied["not_imported"])
    await parent.close()


async def bind(amqp_url: str, routing_key: str):
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(await channel.get_exchange("portail.events"), routing_key=routing_key)
    return connection, queue


async def drain(queue, predicate, timeout=20):
    found = []

    async def check():
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            event = json.loads(message.body)
            if predicate(event):
                found.append(event)
        return found

    return await eventually(check, timeout=timeout)


async def test_waiting_list_promotion_and_nightly_transmission(site, setup, amqp_url):
    staff, ids = setup
    promoted_conn, promoted_queue = await bind(amqp_url, "booking.waitlist_promoted.v2")
    sent_conn, sent_queue = await bind(amqp_url, "booking.transmitted.v2")
    first, fam1 = await new_family(site, staff, children=1)
    second, fam2 = await new_family(site, staff, children=1)
    cal = await first.call("POST", "/api/v1/booking/calendar", {"child_id": fam1["children"][0]["id"],
                                                               "month": MONTH_KEY, "activity_id": ids["mercredi"]})
    wednesday = open_days(cal)[-1]
    line = {"activity_id": ids["mercredi"], "date": wednesday, "action": "reserve"}
    r1 = (await first.call("POST", "/api/v1/booking/basket/confirm",
                           {"lines": [{**line, "child_id": fam1["children"][0]["id"]}]}))["results"][0]
    assert r1["outcome"] == "accepted"
    cal = await second.call("POST", "/api/v1/booking/calendar", {"child_id": fam2["children"][0]["id"],
                                                                "month": MONTH_KEY, "activity_id": ids["mercredi"]})
    day = next(d for d in cal["days"] if d["date"] == wednesday)
    assert day["symbol"] == "⏳" and day["remaining"] == 0
    r2 = (await second.call("POST", "/api/v1/booking/basket/confirm",
                            {"lines": [{**line, "child_id": fam2["children"][0]["id"]}]}))["results"][0]
    assert r2["outcome"] == "waitlisted" and r2["waitlist_position"] == 1
    follow = await second.call("GET", "/api/v1/booking/follow-up")
    assert follow["lines"][0]["state"] == "En liste d'attente (position 1), non transmise"
    cal = await second.call("POST", "/api/v1/booking/calendar", {"child_id": fam2["children"][0]["id"],
                                                                "month": MONTH_KEY, "activity_id": ids["mercredi"]})
    assert next(d for d in cal["days"] if d["date"] == wednesday)["symbol"] == "⚠️"

    # the first family cancels: the place goes to the waiting list at once
    await first.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {**line, "child_id": fam1["children"][0]["id"], "action": "cancel"}]})
    follow = await second.call("GET", "/api/v1/booking/follow-up")
    assert follow["lines"][0]["state"] == "Acceptée, non transmise"
    [promoted] = await drain(promoted_queue, lambda e: e["payload"]["family_id"] == fam2["family_id"])
    assert promoted["payload"]["date"] == wednesday and promoted["payload"]["activity_name"].startswith("ALSH Mercredi")

    # the night: one event per family with its movements; a second run transmits nothing twice
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    report = await admin.call("POST", "/api/v1/booking/transmissions")
    assert report["families"] >= 2
    mine = (fam1["family_id"], fam2["family_id"])
    events = await drain(sent_queue, lambda e: e["payload"]["family_id"] in mine)
    while len({e["payload"]["family_id"] for e in events}) < 2:
        events += await drain(sent_queue, lambda e: e["payload"]["family_id"] in mine)
    by_family = {e["payload"]["family_id"]: e["payload"] for e in events}
    assert [(l["kind"], l["outcome"]) for l in by_family[fam1["family_id"]]["lines"]] == [
        ("reserve", "accepted"), ("cancel", "cancelled")]
    assert [(l["kind"], l["outcome"]) for l in by_family[fam2["family_id"]]["lines"]] == [
        ("reserve", "waitlisted"), ("reserve", "accepted")]
    line2 = by_family[fam2["family_id"]]["lines"][1]
    assert line2["arrival"] == "09:00:00" and line2["departure"] == "17:00:00"
    assert "child_first_name" not in line2 and "Léo" not in json.dumps(events)  # public: no child's name
    assert by_family[fam2["family_id"]]["structure_name"] == "Mairie de CarteVille"
    again = await admin.call("POST", "/api/v1/booking/transmissions")
    assert again["lines"] == 0
    follow = await second.call("GET", "/api/v1/booking/follow-up")
    assert follow["lines"][0]["state"] == "Acceptée"
    for c in (promoted_conn, sent_conn):
        await c.close()
    for api in (first, second, admin):
        await api.close()


async def test_requests_needing_a_decision_and_the_calendar_feed(site, setup):
    staff, ids = setup
    parent, family = await new_family(site, staff, children=1)
    child = family["children"][0]["id"]
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": child, "month": MONTH_KEY, "activity_id": ids["stage"]})
    thursday = open_days(cal)[0]
    result = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child, "activity_id": ids["stage"], "date": thursday, "action": "reserve"}]}))["results"][0]
    assert result["outcome"] == "pending"
    follow = await parent.call("GET", "/api/v1/booking/follow-up?types=pending")
    assert follow["lines"][0]["state"] == "En attente réponse"
    requests = await staff.call("GET", f"/api/v1/booking/requests?structure_id={CARTEVILLE}")
    mine = next(r for r in requests["requests"] if r["booking_id"] == result["booking_id"])
    decision = await staff.call("POST", f"/api/v1/booking/requests/{mine['booking_id']}/decision",
                                {"decision": "accept"})
    assert decision["outcome"] == "accepted"
    await staff.call("POST", f"/api/v1/booking/requests/{mine['booking_id']}/decision", {"decision": "refuse"},
                     expect=409)

    feed = await parent.call("POST", "/api/v1/booking/feed", expect=201)
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(f"{site.url}/calendrier/{feed['token']}.ics") as resp:
            assert resp.status == 200 and resp.content_type == "text/calendar"
            ics = await resp.text()
        assert "BEGIN:VEVENT" in ics and "Léo — Stage sur demande" in ics and "TZID=Europe/Paris" in ics
        await parent.call("DELETE", "/api/v1/booking/feed", expect=204)
        async with anonymous.get(f"{site.url}/calendrier/{feed['token']}.ics") as resp:
            assert resp.status == 404
    await parent.close()


async def test_past_the_deadline_is_refused_at_confirmation(site, setup):
    staff, ids = setup
    parent, family = await new_family(site, staff, children=1)
    child = family["children"][0]["id"]
    soon = date.today() + timedelta(days=1)
    conn = await asyncpg.connect(site.booking_db)
    try:
        await conn.execute("INSERT INTO sessions (id, activity_id, day, start_time, end_time) "
                           "VALUES (gen_random_uuid(), $1, $2, '11:30', '13:30') ON CONFLICT DO NOTHING",
                           uuid.UUID(ids["cantine"]), soon)
    finally:
        await conn.close()
    result = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child, "activity_id": ids["cantine"], "date": soon.isoformat(), "action": "reserve"}]}))
    assert result["results"][0]["outcome"] == "rejected"
    assert result["results"][0]["reason"] == "hors délai de réservation"
    await parent.close()


async def test_bad_input_gets_a_french_problem(site, setup):
    staff, _ids = setup
    parent, family = await new_family(site, staff, children=1)
    child = family["children"][0]["id"]
    data = await parent.call("POST", "/api/v1/booking/calendar", {"child_id": child, "month": "2027-13"}, expect=400)
    assert data["detail"] == "mois attendu au format AAAA-MM"
    data = await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": []}, expect=422)
    assert data["title"] == "Panier vide"
    data = await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [{"child_id": "x"}]}, expect=422)
    assert data["errors"]
    await staff.call("POST", "/api/v1/booking/activities", {"structure_id": CARTEVILLE, "name": "Incohérente",
                                                            "start_time": "10:00", "end_time": "09:00"}, expect=422)
    # staff of CarteVille cannot configure another structure
    await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": str(demo.DEMO_SECOND_STRUCTURE_ID), "name": "Ailleurs", "start_time": "09:00",
        "end_time": "10:00"}, expect=403)
    await parent.close()


async def test_house_rules_event_opens_booking_and_closures_and_more_places(site, setup, amqp_url):
    """An activity that needs the règlement intérieur stays closed to a child until dossier's event
    arrives; a closure removes unbooked days; more places promote the waiting list."""
    from contracts.dossier import DossierHouseRulesSignedV1
    from contracts.envelope import wrap

    staff, _ids = setup
    parent, family = await new_family(site, staff, children=1)
    child = family["children"][0]["id"]
    ruled = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": f"ALSH Vacances {uuid.uuid4().hex[:4]}", "start_time": "09:00",
        "end_time": "17:00", "requires_house_rules": True, "capacity": 1}, expect=201))["id"]
    await staff.call("POST", f"/api/v1/booking/activities/{ruled}/openings", {
        "weekdays": [0, 1, 2, 3, 4], "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()},
        expect=201)
    cal = await parent.call("POST", "/api/v1/booking/calendar", {"child_id": child, "month": MONTH_KEY,
                                                                "activity_id": ruled})
    assert {d["state"] for d in cal["days"]} == {"closed"}

    envelope = wrap(DossierHouseRulesSignedV1(
        family_id=family["family_id"], child_id=child, structure_id=CARTEVILLE, school_year="2026-2027",
        signed_at="2026-11-29T10:00:00Z"), producer="dossier")
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("portail.events")
        await exchange.publish(aio_pika.Message(envelope.model_dump_json().encode()),
                               routing_key="dossier.house_rules_signed.v1")

    async def opened():
        cal = await parent.call("POST", "/api/v1/booking/calendar", {"child_id": child, "month": MONTH_KEY,
                                                                    "activity_id": ruled})
        return cal if any(d["state"] == "available" for d in cal["days"]) else None

    cal = await eventually(opened)
    days = open_days(cal)

    # a closure over the last open day removes it (nobody booked it)
    result = await staff.call("POST", f"/api/v1/booking/structures/{CARTEVILLE}/closures",
                              {"start": days[-1], "end": days[-1], "label": "Fermeture exceptionnelle",
                               "activity_id": ruled}, expect=201)
    assert result["booked_days_kept"] == 0
    cal = await parent.call("POST", "/api/v1/booking/calendar", {"child_id": child, "month": MONTH_KEY,
                                                                "activity_id": ruled})
    assert days[-1] not in open_days(cal)

    # one place: a second family waits; staff add a place and it is accepted at once
    other, fam2 = await new_family(site, staff, children=1)
    await staff.call("POST", "/api/v1/booking/enrolments", {"child_id": fam2["children"][0]["id"],
                                                           "activity_id": ruled}, expect=204)
    envelope = wrap(DossierHouseRulesSignedV1(
        family_id=fam2["family_id"], child_id=fam2["children"][0]["id"], structure_id=CARTEVILLE,
        school_year="2026-2027", signed_at="2026-11-29T10:00:00Z"), producer="dossier")
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("portail.events")
        await exchange.publish(aio_pika.Message(envelope.model_dump_json().encode()),
                               routing_key="dossier.house_rules_signed.v1")
    line = {"activity_id": ruled, "date": days[0], "action": "reserve"}
    first = (await parent.call("POST", "/api/v1/booking/basket/confirm",
                               {"lines": [{**line, "child_id": child}]}))["results"][0]
    assert first["outcome"] == "accepted"

    async def second_waits():
        r = (await other.call("POST", "/api/v1/booking/basket/confirm",
                              {"lines": [{**line, "child_id": fam2["children"][0]["id"]}]}))["results"][0]
        return r if r["outcome"] != "rejected" else None

    second = await eventually(second_waits)
    assert second["outcome"] == "waitlisted"
    sessions = await staff.call("GET", f"/api/v1/booking/sessions?activity_id={ruled}&from={days[0]}&to={days[0]}")
    [session] = sessions["sessions"]
    assert (session["accepted"], session["waitlisted"]) == (1, 1)
    # Lowered below the accepted count: the accepted booking is kept, nothing new is accepted (issue 16).
    await staff.call("PUT", f"/api/v1/booking/sessions/{session['id']}/capacity", {"capacity": 0})
    [kept] = (await staff.call(
        "GET", f"/api/v1/booking/sessions?activity_id={ruled}&from={days[0]}&to={days[0]}"))["sessions"]
    assert (kept["capacity"], kept["accepted"], kept["waitlisted"]) == (0, 1, 1)
    raised = await staff.call("PUT", f"/api/v1/booking/sessions/{session['id']}/capacity", {"capacity": 2})
    assert raised["promoted"] == 1
    follow = await other.call("GET", "/api/v1/booking/follow-up")
    assert follow["lines"][0]["state"] == "Acceptée, non transmise"
    for api in (parent, other):
        await api.close()


async def test_headline_flow_booking_to_morning_digest(site, setup):
    """The design card: a parent books, the night transmits, the morning digest arrives by mail."""
    staff, ids = setup
    parent, family = await new_family(site, staff, children=1)
    child = family["children"][0]["id"]
    basket = (await parent.call("POST", "/api/v1/booking/basket/quick", {
        "child_id": child, "activity_id": ids["aps"], "month": MONTH_KEY, "scope": "weekday", "weekday": 1}))["basket"]
    results = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": basket}))["results"]
    assert {r["outcome"] for r in results} == {"accepted"}
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    await admin.call("POST", "/api/v1/booking/transmissions")
    address = f"{family['identifiant'].lower()}@example.fr"

    async def digest_mail():
        await admin.call("POST", "/api/v1/notify/digests")
        return [m for m in site.catcher.messages if address in m.to and m.subject.startswith("Compte-rendu")]

    [mail] = await eventually(digest_mail, timeout=30, interval=0.5)
    assert mail.text.startswith("DURAND Alice\n")
    assert f"{len(basket)} mouvements sur vos demandes de réservations ont été reçus, dont :" in mail.text
    assert "***** RESERVATIONS ACCEPTEES *****" in mail.text
    assert "--> Activité : APS MATIN" in mail.text
    tuesdays = ", ".join(f"mar. {date.fromisoformat(line['date']):%d/%m}" for line in sorted(basket, key=lambda l: l["date"]))
    assert f"DURAND Léo : {tuesdays}" in mail.text
    await parent.close()
    await admin.close()
