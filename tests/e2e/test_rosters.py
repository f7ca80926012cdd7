"""The staff's rosters (listes de présence) on the real stack: tomorrow's canteen (tomorrow per the portal's
clock) with the children booking says are expected or waiting, each with the flags dossier keeps (PAI, diet,
image rights, who may pick up, who to call), the health reads in the audit, the CSV for Excel, the day
summary; and a commune's staff who cannot read another commune's roster."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest

from kit.clock import paris_today
from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_bookings import CARTEVILLE, Api, new_family
from tests.e2e.test_dossier import PDF, find, upload
from tests.portal import open_activities, portal

VACCINES = {"vaccinated": True, "vaccinations": [{"name": "DT Polio", "last_date": "2024-03-01"}],
            "doctor_name": "Dr Lune"}
AUTHORISATIONS = {"publication_rights": True, "emergency_medical_care": True, "hospital_transport": True,
                  "leave_alone_after_activity": False}


@dataclass
class Tomorrow:
    day: object
    activity_id: str
    activity_name: str
    leo: str
    marina: str
    zoe: str
    health_sheets: set[str]  # Léo's


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("rosters")) as p:
        yield p


async def _submit(parent: Api, sheet: dict, data: dict, documents: tuple[str, ...] = ()) -> None:
    for kind in documents:
        await upload(parent, sheet["id"], kind, PDF, f"{kind}.pdf")
    await parent.call("POST", f"/api/v1/dossier/sheets/{sheet['id']}/submit", {"data": data})


async def tomorrows_canteen(site, staff: Api, admin: Api) -> Tomorrow:
    """A canteen of CarteVille open tomorrow with two places; a family of three: Léo (PAI, « sans porc », no
    image rights, his grandmother to pick him up) and Marina (vegetarian) expected, Zoé on the waiting list."""
    day = paris_today() + timedelta(days=1)  # the portal's clock, not a date written in the test
    deadline = {"days_before": 0, "working_days": False, "at": "23:59"}
    ids, names = await open_activities(site, staff, [
        ("cantine", "Restauration scolaire", "11:30", "13:30",
         {"capacity": 2, "booking_deadline": deadline, "cancel_deadline": deadline}, 280, "session",
         [0, 1, 2, 3, 4, 5, 6])], day, day, CARTEVILLE)
    conn = await asyncpg.connect(site.booking_db)
    try:  # a public holiday opens nothing: the day is opened by hand then (the test is about the roster)
        await conn.execute("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity) "
                           "VALUES ($1, $2, $3, '11:30', '13:30', 2) ON CONFLICT DO NOTHING",
                           uuid.uuid4(), uuid.UUID(ids["cantine"]), day)
    finally:
        await conn.close()
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    parent, family = await new_family(site, staff, children=3)
    leo, marina, zoe = (c["id"] for c in family["children"])

    async def dossier_ready():
        data = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
        return data if isinstance(data, dict) and len(data.get("sheets", [])) == 1 + 3 * 5 else None

    dossier = await eventually(dossier_ready)
    mamie = (await parent.call("POST", "/api/v1/dossier/contacts", {
        "last_name": "MARTIN", "first_name": "Mamie", "phone": "05 56 00 00 00"}, expect=201))["id"]
    await _submit(parent, find(dossier, "sanitaire", leo), {**VACCINES, "pai": True,
                                                             "dietary_requirements": "Sans porc"},
                  ("carnet_vaccination", "pai"))
    await _submit(parent, find(dossier, "autorisations", leo), {**AUTHORISATIONS, "image_rights": False})
    await _submit(parent, find(dossier, "contacts", leo), {"links": [
        {"contact_id": mamie, "relationship": "Grand-mère", "may_pick_up": True, "call_in_emergency": True}]})
    await _submit(parent, find(dossier, "sanitaire", marina), {**VACCINES, "pai": False,
                                                                "dietary_requirements": "Végétarienne"},
                  ("carnet_vaccination",))
    for children in ([leo, marina], [zoe]):
        results = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
            {"child_id": c, "activity_id": ids["cantine"], "date": day.isoformat(), "action": "reserve"}
            for c in children]}))["results"]
        assert {r["outcome"] for r in results} == ({"accepted"} if len(children) == 2 else {"waitlisted"}), results
    await parent.close()
    return Tomorrow(day, ids["cantine"], names["cantine"], leo, marina, zoe,
                    {find(dossier, "sanitaire", leo)["id"], find(dossier, "autorisations", leo)["id"]})


async def other_communes_staff(site, admin: Api):
    """A staff member of the second structure, past the first sign-in, signed in on the pages."""
    login = f"agent.bourg.{uuid.uuid4().hex[:4]}"
    created = await admin.call("POST", "/api/v1/staff", {
        "login": login, "display_name": "Agent du Bourg", "email": "bourg@example.fr",
        "structure_ids": [str(demo.DEMO_SECOND_STRUCTURE_ID)]}, expect=201)
    browser = site.browser()
    await browser.login(login, created["initial_password"])
    await browser.post("/mise-a-jour-securite", {"nouveau": "Cantine-Bourg-2027", "confirmation": "Cantine-Bourg-2027"})
    return browser, login, "Cantine-Bourg-2027"


async def test_tomorrows_roster_with_flags_audit_csv_and_summary(site):
    admin, staff = Api(site.url), Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    await staff.login("agent.carteville", "Demo-Agent-2027")
    t = await tomorrows_canteen(site, staff, admin)
    pages = site.browser()
    await pages.login("agent.carteville", "Demo-Agent-2027")

    listes = await pages.get("/gestion/listes")
    assert listes.status == 200 and 'href="/gestion/listes"' in listes.text
    assert f'value="{t.day.isoformat()}"' in listes.text  # tomorrow, by default
    page = await pages.get(f"/gestion/listes?date={t.day.isoformat()}&activite={t.activity_id}")
    assert page.status == 200, page.text
    assert "Enfants attendus : 2" in page.text and "Liste d&#39;attente : 1" in page.text
    assert "Demandes en attente de décision : 0" in page.text
    leo_row = page.text.split(f'data-enfant="{t.leo}"')[1].split("</tr>")[0]
    assert "DURAND Léo" in leo_row and ">Oui<" in leo_row and "Sans porc" in leo_row and ">Non<" in leo_row
    assert "Mamie MARTIN (Grand-mère) 05 56 00 00 00" in leo_row
    assert "Végétarien" in page.text.split(f'data-enfant="{t.marina}"')[1].split("</tr>")[0]
    assert "DURAND Zoé" in page.text.split('data-liste="attente"')[1]
    assert "Dr Lune" not in page.text  # the flags, never the health sheet

    # the read of the flags is in the audit of health reads, as a read of each health sheet behind them
    reads = await admin.call("GET", f"/api/v1/dossier/audit?child_id={t.leo}")
    assert {r["sheet_id"] for r in reads["reads"]} == t.health_sheets  # his fiche sanitaire and d'autorisations

    # the CSV, for Excel in French like the consumptions' export
    async with pages.http.get(f"{site.url}/gestion/listes/export.csv?date={t.day.isoformat()}"
                              f"&activite={t.activity_id}") as resp:
        assert resp.status == 200 and resp.content_type == "text/csv"
        assert "attachment" in resp.headers["Content-Disposition"]
        raw = await resp.read()
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:3] == ["Liste", "Nom", "Prénom"]
    leo = next(r for r in rows if r[2] == "Léo")
    assert leo[0] == "Enfants attendus" and leo[5] == "Oui" and leo[6] == "Sans porc" and leo[7] == "Non"
    assert next(r for r in rows if r[2] == "Zoé")[0] == "Liste d'attente"

    # the day summary across the structure's activities
    summary = await pages.get(f"/gestion/resume?date={t.day.isoformat()}")
    assert summary.status == 200
    assert "Demain : 2 repas dont 1 sans porc, 1 végétarien, 1 PAI" in summary.text
    assert t.activity_name in summary.text
    for api in (admin, staff):
        await api.close()


async def test_another_communes_staff_cannot_read_the_roster(site):
    admin, staff = Api(site.url), Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    await staff.login("agent.carteville", "Demo-Agent-2027")
    t = await tomorrows_canteen(site, staff, admin)
    elsewhere, _, _ = await other_communes_staff(site, admin)
    query = f"date={t.day.isoformat()}&activite={t.activity_id}"
    page = await elsewhere.get(f"/gestion/listes?{query}")
    assert page.status in (403, 404) and "Vous ne gérez pas cette structure" in page.text
    assert "DURAND" not in page.text
    exported = await elsewhere.get(f"/gestion/listes/export.csv?{query}")
    assert exported.status in (403, 404) and "DURAND" not in exported.text
    summary = await elsewhere.get(f"/gestion/resume?date={t.day.isoformat()}")
    assert summary.status == 200 and t.activity_name not in summary.text and "0 repas" in summary.text
    reads = await admin.call("GET", f"/api/v1/dossier/audit?child_id={t.leo}")
    assert reads["reads"] == []  # nothing was read for them
    # a family has no roster at all
    parent, _ = await new_family(site, staff, children=1)
    async with parent.http.get(f"{site.url}/gestion/listes?{query}", allow_redirects=False) as resp:
        assert resp.status in (302, 303, 403)
    for api in (admin, staff, parent):
        await api.close()
