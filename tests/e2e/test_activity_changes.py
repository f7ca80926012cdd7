"""Issue 16 on the real stack, through the Gestion pages and booking's API: staff enrol a class from a
pasted list and unenrol a child (booking then refuses the non-enrolled child's reservation), change the
places of a range of days with a preview (bookings already accepted beyond the new number are kept, and no
new one is accepted), change an activity's settings, read the tariff in force and its history; staff of
another structure reach none of it, through the pages or straight to the services."""

from __future__ import annotations

import html
import re
import uuid
from datetime import date, timedelta

import aiohttp
import asyncpg
import pytest

from kit.identity import HEADER, Identity, issue
from services.auth import demo
from tests.conftest import SECRET, eventually
from tests.e2e.test_bookings import MONTH, MONTH_END, Api
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
CHECKED_CHILD = re.compile(r'name="enfant" type="checkbox" value="([0-9a-f-]{36})" checked')


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("activity-changes")) as p:
        yield p


async def class_world(site, staff: Api, admin: Api) -> dict:
    """An activity of CarteVille requiring enrolment, opened on the month's weekdays (2 places, no waiting
    list), and a family of three children whom booking knows, signed in."""
    tag = uuid.uuid4().hex[:5]
    activity = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": f"Atelier {tag}", "start_time": "16:30", "end_time": "18:00",
        "capacity": 2, "enrolment_required": True, "waitlist_allowed": False}, expect=201))["id"]
    await staff.call("POST", f"/api/v1/booking/activities/{activity}/openings", {
        "weekdays": [0, 1, 2, 3, 4], "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()},
        expect=201)
    last = f"Classe{tag}"
    identifiant = f"CLA-{tag}"
    created = await staff.call("POST", "/api/v1/families", {
        "identifiant": identifiant, "responsable": {"first_name": "Inès", "last_name": last},
        "emails": [f"{identifiant.lower()}@example.fr"], "structure_id": CARTEVILLE,
        "initial_password": "Initial-Pass-2026",
        "children": [{"first_name": first, "last_name": last, "birth_date": f"201{7 + i}-03-0{i + 1}"}
                     for i, first in enumerate(("Léo", "Marina", "Zoé"))]}, expect=201)
    family_id = uuid.UUID(created["family_id"])

    async def known():
        conn = await asyncpg.connect(site.booking_db)
        try:
            rows = await conn.fetch("SELECT id, first_name FROM children WHERE family_id = $1", family_id)
            ready = await conn.fetchval("SELECT 1 FROM family_structures WHERE family_id = $1", family_id)
        finally:
            await conn.close()
        return {r["first_name"]: str(r["id"]) for r in rows} if len(rows) == 3 and ready else None

    children = await eventually(known)
    b = site.browser()
    await b.login(identifiant, "Initial-Pass-2026")
    await b.post("/mise-a-jour-securite", {"nouveau": "Atelier-Mercredi-2027", "confirmation": "Atelier-Mercredi-2027"})
    await b.get("/consentements")
    await b.post("/consentements", {"accepte_rgpd": "oui", "accepte_cgu": "oui"})
    parent = Api(site.url)
    await parent.login(identifiant, "Atelier-Mercredi-2027")
    sessions = (await staff.call(
        "GET", f"/api/v1/booking/sessions?activity_id={activity}&from={MONTH}&to={MONTH_END}"))["sessions"]
    return {"staff": staff, "admin": admin, "parent": parent, "activity": activity, "children": children,
            "last": last, "name": f"Atelier {tag}", "days": [s["date"] for s in sessions]}


@pytest.fixture(scope="module")
async def world(site):
    staff, admin = Api(site.url), Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    await admin.login("admin.portail", "Demo-Admin-2027")
    w = await class_world(site, staff, admin)
    yield w
    for api in (staff, admin, w["parent"]):
        await api.close()


def text(page) -> str:
    return html.unescape(page.text)


async def staff_pages(site, login: str = "agent.carteville", password: str = "Demo-Agent-2027"):
    b = site.browser()
    await b.login(login, password)
    await b.get("/gestion")
    return b


async def post_repeated(b, path: str, fields: list[tuple[str, str]]):
    async with b.http.post(b.base + path, data=[("csrf", b.csrf), *fields]) as resp:
        return await b._page(resp)


async def book(parent: Api, child: str, activity: str, days: list[str]) -> list[dict]:
    lines = [{"child_id": child, "activity_id": activity, "date": d, "action": "reserve"} for d in days]
    return (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": lines}))["results"]


async def test_a_class_enrolled_from_a_pasted_list_one_child_unenrolled_and_booking_enforces_it(site, world):
    b = await staff_pages(site)
    activity, kids, last = world["activity"], world["children"], world["last"]
    page = await b.get(f"/gestion/inscriptions?activite={activity}")
    assert page.status == 200 and "Aucun enfant n'est encore inscrit à cette activité." in text(page)

    pasted = f"Nom;Prénom\n{last.upper()};Léo\nMarina {last}\nPersonne Inconnue\n"
    page = await b.post(f"/gestion/inscriptions/{activity}/liste", {"noms": pasted})
    assert page.status == 200
    assert "Liste reconnue : 2 enfants reconnus sur 3 lignes" in text(page)
    assert "Introuvable parmi les enfants de la structure" in text(page)
    assert set(CHECKED_CHILD.findall(page.text)) == {kids["Léo"], kids["Marina"]}
    page = await post_repeated(b, f"/gestion/inscriptions/{activity}/inscrire",
                               [("enfant", c) for c in CHECKED_CHILD.findall(page.text)])
    assert page.status == 200 and "✓ Les inscriptions ont bien été enregistrées" in text(page)
    assert "2 enfants inscrits." in text(page)

    # booking enforces it: Zoé, not enrolled, cannot book; Léo can
    first = world["days"][:1]
    assert (await book(world["parent"], kids["Zoé"], activity, first))[0]["outcome"] == "rejected"
    assert (await book(world["parent"], kids["Léo"], activity, first))[0]["outcome"] == "accepted"

    # Marina unenrolled with her row's button: she can no longer book
    page = await b.post(f"/gestion/inscriptions/{activity}/desinscrire", {"enfant": kids["Marina"]}, follow=False)
    assert page.status == 303
    page = await b.get(page.location)
    assert "✓ L'enfant a bien été désinscrit" in text(page) and "Enfants inscrits (1)" in text(page)
    refused = await book(world["parent"], kids["Marina"], activity, world["days"][1:2])
    assert refused[0]["outcome"] == "rejected" and "non inscrit" in refused[0]["reason"]
    # unenrolling twice, or an unknown list, answers in French, never a 500
    page = await b.post(f"/gestion/inscriptions/{activity}/desinscrire", {"enfant": kids["Marina"]})
    assert page.status == 422 and "Cet enfant n'est pas inscrit à cette activité." in text(page)
    page = await b.post(f"/gestion/inscriptions/{activity}/liste", {"noms": "  "})
    assert page.status == 422 and "Collez la liste des enfants" in text(page)


async def test_places_of_a_range_previewed_then_applied_keep_the_bookings_already_accepted(site, world):
    activity, kids, days = world["activity"], world["children"], world["days"]
    staff = world["staff"]
    await staff.call("POST", "/api/v1/booking/enrolments", {"child_id": kids["Zoé"], "activity_id": activity},
                     expect=204)
    over = days[2:5]
    for child in ("Léo", "Zoé"):
        assert {r["outcome"] for r in await book(world["parent"], kids[child], activity, over)} == {"accepted"}
    b = await staff_pages(site)
    form = {"places_debut": over[0], "places_fin": over[-1], "places_nombre": "1"}
    page = await post_repeated(b, f"/gestion/activites/{activity}/places",
                               [*form.items(), *(("jour", str(i)) for i in range(5)), ("etape", "apercu")])
    assert page.status == 200
    assert ("3 jours ont déjà plus de réservations acceptées que la nouvelle capacité : elles sont conservées, "
            "plus aucune nouvelle réservation ne sera acceptée ces jours-là.") in text(page)
    sessions = (await staff.call("GET", f"/api/v1/booking/sessions?activity_id={activity}&from={over[0]}"
                                        f"&to={over[-1]}"))["sessions"]
    assert {s["capacity"] for s in sessions} == {2}  # the preview wrote nothing
    page = await post_repeated(b, f"/gestion/activites/{activity}/places",
                               [*form.items(), *(("jour", str(i)) for i in range(5)), ("etape", "confirmer")])
    assert page.status == 200 and "✓ Le nombre de places a bien été modifié" in text(page)
    sessions = (await staff.call("GET", f"/api/v1/booking/sessions?activity_id={activity}&from={over[0]}"
                                        f"&to={over[-1]}"))["sessions"]
    assert {(s["capacity"], s["accepted"]) for s in sessions} == {(1, 2)}
    # Léo cancels one day: the place he frees is not given again (still one accepted for one place)
    cancel = [{"child_id": kids["Léo"], "activity_id": activity, "date": over[0], "action": "cancel"}]
    await world["parent"].call("POST", "/api/v1/booking/basket/confirm", {"lines": cancel})
    results = await book(world["parent"], kids["Léo"], activity, over[:1])
    assert results[0]["outcome"] in ("refused", "rejected")


async def test_settings_previewed_then_applied_and_the_tariff_in_force_with_its_history(site, world):
    activity, admin = world["activity"], world["admin"]
    b = await staff_pages(site)
    page = await b.get(f"/gestion/activites/{activity}/modifier")
    assert page.status == 200 and 'value="16:30"' in page.text
    name = f"Atelier du soir {uuid.uuid4().hex[:4]}"
    fields = {"nom": name, "debut": "16:45", "fin": "18:00", "places": "2", "inscription": "oui",
              "reservation_jours": "2", "reservation_ouvres": "oui", "reservation_heure": "10:00",
              "annulation_jours": "2", "annulation_ouvres": "oui", "annulation_heure": "10:00"}
    page = await b.post(f"/gestion/activites/{activity}/modifier", {**fields, "etape": "apercu"})
    assert page.status == 200 and "ouverts à venir passent à 16:45 – 18:00" in text(page)
    assert f"s'appellera « {name} »" in text(page)
    page = await b.post(f"/gestion/activites/{activity}/modifier", {**fields, "etape": "confirmer"})
    assert "✓ L'activité a bien été modifiée" in text(page) and "16:45 – 18:00" in text(page)

    today = date.today()
    for effective, price in ((today - timedelta(days=400), 100), (today - timedelta(days=10), 150),
                             (today + timedelta(days=30), 200)):
        await admin.call("POST", "/api/v1/billing/tariffs", {
            "structure_id": CARTEVILLE, "activity_id": activity, "activity_name": name,
            "effective_from": effective.isoformat(), "brackets": [{"price_cents": price}]}, expect=201)
    page = await b.get(f"/gestion/activites/{activity}")
    in_force = (today - timedelta(days=10)).strftime("%d/%m/%Y")
    assert f"Tarif en vigueur depuis le {in_force}" in text(page)
    history = page.text[page.text.index('data-tarif="historique"'):]
    assert [history.index(w) for w in ("À venir", "En vigueur", "Remplacé")] == sorted(
        history.index(w) for w in ("À venir", "En vigueur", "Remplacé"))
    assert "1,50" in history and "2,00" in history


async def staff_of_new_structure(site, admin: Api) -> tuple[str, str, str]:
    """A structure of the administrator's making and its staff account (past its password renewal)."""
    structure_id = (await admin.call("POST", "/api/v1/structures", {"name": f"Commune {uuid.uuid4().hex[:4]}"},
                                     expect=201))["id"]
    login = f"agent.{uuid.uuid4().hex[:8]}"
    created = await admin.call("POST", "/api/v1/staff", {
        "login": login, "display_name": "Agent d'une autre commune", "email": f"{login}@example.fr",
        "structure_ids": [structure_id]}, expect=201)
    conn = await site.db()
    try:
        await conn.execute("UPDATE accounts SET must_change_password = false WHERE login = $1", login)
    finally:
        await conn.close()
    return structure_id, login, created["initial_password"]


async def test_staff_of_another_structure_neither_enrol_nor_change_nor_read_the_tariffs(site, world):
    activity, kids = world["activity"], world["children"]
    structure_y, login, password = await staff_of_new_structure(site, world["admin"])
    # straight to the services, with a valid identity of the other structure's staff
    who = Identity(subject=str(uuid.uuid4()), role="staff", structures=(uuid.UUID(structure_y),))
    headers = {HEADER: issue(who, SECRET)}
    days = world["days"]
    async with aiohttp.ClientSession() as http:
        calls = [("PUT", f"{site.booking_url}/v1/activities/{activity}/capacity",
                  {"start": days[0], "end": days[-1], "capacity": 0}),
                 ("POST", f"{site.booking_url}/v1/activities/{activity}/capacity/preview",
                  {"start": days[0], "end": days[-1], "capacity": 0}),
                 ("PUT", f"{site.booking_url}/v1/activities/{activity}",
                  {"name": "Pris", "start_time": "08:00", "end_time": "09:00"}),
                 ("POST", f"{site.booking_url}/v1/activities/{activity}/enrolments", {"child_ids": [kids["Zoé"]]}),
                 ("DELETE", f"{site.booking_url}/v1/activities/{activity}/enrolments/{kids['Léo']}", None),
                 ("GET", f"{site.booking_url}/v1/activities/{activity}/enrolments", None),
                 ("GET", f"{site.billing_url}/v1/tariffs?structure_id={CARTEVILLE}&activity_id={activity}", None)]
        for method, url, body in calls:
            async with http.request(method, url, json=body, headers=headers) as resp:
                assert resp.status == 403, (method, url, resp.status, await resp.text())
    roll = (await world["staff"].call("GET", f"/api/v1/booking/sessions?activity_id={activity}"
                                             f"&from={days[0]}&to={days[-1]}"))["sessions"]
    assert 0 not in {s["capacity"] for s in roll}  # nothing changed
    # and through the pages: the other structure's activity is not found
    b = await staff_pages(site, login, password)
    for path in (f"/gestion/inscriptions?activite={activity}", f"/gestion/activites/{activity}/modifier"):
        assert (await b.get(path)).status == 404
    page = await b.post(f"/gestion/inscriptions/{activity}/inscrire", {"enfant": kids["Zoé"]})
    assert page.status == 404
    page = await b.post(f"/gestion/activites/{activity}/places", {"places_debut": days[0], "places_fin": days[-1],
                                                                  "places_nombre": "0", "jour": "0",
                                                                  "etape": "confirmer"})
    assert page.status == 404
