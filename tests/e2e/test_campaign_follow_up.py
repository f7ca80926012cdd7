"""The staff's follow-up of a dossier campaign on the real stack (issue 16): the reminder mails each family
that has not started exactly once a day, through notify, and never another commune's families; the
règlement intérieur is published per structure as versioned PDFs, read by the families that sign it, its
version carried by dossier.house_rules_signed; a new version sends the signed families back to « À remplir »
and closes booking again; staff of one commune cannot see, remind, upload or read the status of another."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest

from kit import identity as ident
from kit.clock import paris_today
from services.auth import demo
from tests.conftest import SECRET, eventually
from tests.e2e.test_access_booking_dossier_notify import PDF, PNG, child_of, family_in, query
from tests.e2e.test_bookings import MONTH, MONTH_END, MONTH_KEY, Api
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
RULES = {"acknowledged": True, "signer_name": "Inès MOREAU", "place": "CarteVille",
         "signed_on": paris_today().isoformat(), "signed_at": "08:00"}


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("campaign")) as p:
        yield p


@pytest.fixture(scope="module")
async def world(site):
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    bourg, (login_b, password_b) = await staff_of_new_structure(site, admin, f"Commune B {uuid.uuid4().hex[:4]}")
    parent_a, here = await family_in(site, admin, demo.DEMO_STRUCTURE_ID, "Noé")
    parent_b, there = await family_in(site, admin, uuid.UUID(bourg), "Jade")
    pages = {}
    for name, login, password in (("a", "agent.carteville", "Demo-Agent-2027"), ("b", login_b, password_b)):
        pages[name] = site.browser()
        await pages[name].login(login, password)
    yield {"admin": admin, "bourg": bourg, "parent_a": parent_a, "here": here, "parent_b": parent_b,
           "there": there, "pages": pages}
    for api in (admin, parent_a, parent_b):
        await api.close()


async def staff_of_new_structure(site, admin: Api, name: str) -> tuple[str, tuple[str, str]]:
    """The administrator creates a structure (a second commune) and an agent for it, past its first sign-in."""
    structure_id = (await admin.call("POST", "/api/v1/structures", {"name": name}, expect=201))["id"]
    login = f"agent.{uuid.uuid4().hex[:8]}"
    created = await admin.call("POST", "/api/v1/staff", {
        "login": login, "display_name": f"Agent {name}", "email": f"{login}@example.fr",
        "structure_ids": [structure_id]}, expect=201)
    conn = await site.db()
    try:
        await conn.execute("UPDATE accounts SET must_change_password = false WHERE login = $1", login)
    finally:
        await conn.close()
    return structure_id, (login, created["initial_password"])


def mails_to(site, address: str, subject_part: str) -> list:
    return [m for m in site.catcher.messages if address in m.to and subject_part in m.subject]


def arrived(site, address: str, subject_part: str):
    async def check():
        return mails_to(site, address, subject_part)

    return check


async def upload_rules(page, content: bytes, name: str, year: str = "2026-2027"):
    """The staff's upload form, sent as the browser sends it (multipart, with the page's CSRF token)."""
    await page.get("/gestion/reglement")
    form = aiohttp.FormData()
    form.add_field("csrf", page.csrf or "")
    form.add_field("annee", year)
    form.add_field("fichier", content, filename=name, content_type="application/octet-stream")
    async with page.http.post(page.base + "/gestion/reglement", data=form) as resp:
        return resp.status, await resp.text()


async def internal(url: str, method: str, path: str, who: ident.Identity, **kwargs) -> int:
    async with aiohttp.ClientSession() as http, http.request(
            method, url + path, headers={ident.HEADER: ident.issue(who, SECRET)}, **kwargs) as resp:
        return resp.status


async def test_reminders_mail_each_family_once_a_day_and_only_its_communes(site, world):
    page_a, page_b, here, there = world["pages"]["a"], world["pages"]["b"], world["here"], world["there"]
    listed = await page_a.get("/gestion/campagne")
    assert listed.status == 200 and "Avancement par fiche" in listed.text
    assert here["identifiant"] in listed.text and there["identifiant"] not in listed.text

    done = await page_a.post("/gestion/campagne/relance", {})
    assert "relancée(s) par courriel" in done.text
    mail = await eventually(arrived(site, here["address"], "dossier famille 2026-2027"))
    assert "pas encore commencé" in mail[0].text and "Mairie de CarteVille" in mail[0].text
    assert f"Relancée le {paris_today().strftime('%d/%m/%Y')}" in done.text

    again = await page_a.post("/gestion/campagne/relance", {})
    assert "0 famille(s) relancée(s)" in again.text and "déjà relancée(s) aujourd" in again.text
    await page_b.post("/gestion/campagne/relance", {})  # commune B reminds its own family only
    await eventually(arrived(site, there["address"], "dossier famille"))
    await asyncio.sleep(2)  # time enough for a second mail, were one sent
    assert len(mails_to(site, here["address"], "dossier famille")) == 1
    logged = await query(site.dossier_db, "SELECT reminded_by FROM reminders WHERE family_id = $1",
                         uuid.UUID(here["family_id"]))
    assert [r["reminded_by"] for r in logged] and len(logged) == 1
    delivered = await query(site.dossier_db.removesuffix("dossier") + "notify",
                            "SELECT structure_id FROM deliveries WHERE template = 'dossier_reminder' "
                            "AND family_id = $1", uuid.UUID(here["family_id"]))
    assert [str(r["structure_id"]) for r in delivered] == [CARTEVILLE]  # in CarteVille's delivery log


async def test_staff_of_another_commune_are_refused_everywhere(site, world):
    staff_b = ident.Identity(subject="b", role="staff", structures=(uuid.UUID(world["bourg"]),))
    for url, method, path, kwargs in (
            (site.dossier_url, "GET", f"/v1/staff/campaign?structure_id={CARTEVILLE}", {}),
            (site.dossier_url, "POST", "/v1/staff/campaign/reminders", {"json": {"structure_id": CARTEVILLE}}),
            (site.dossier_url, "GET", f"/v1/staff/house-rules?structure_id={CARTEVILLE}", {}),
            (site.dossier_url, "POST", f"/v1/staff/house-rules?structure_id={CARTEVILLE}&school_year=2026-2027",
             {"data": PDF}),
            (site.booking_url, "GET", f"/v1/transmissions/status?structure_id={CARTEVILLE}", {})):
        assert await internal(url, method, path, staff_b, **kwargs) == 403, path
    rows = await query(site.dossier_db, "SELECT count(*) AS n FROM house_rules WHERE structure_id = $1",
                       demo.DEMO_STRUCTURE_ID)
    assert rows[0]["n"] == 0


async def test_a_new_house_rules_version_asks_for_a_new_signature_and_closes_booking(site, world):
    page_a, parent_a, parent_b, here = world["pages"]["a"], world["parent_a"], world["parent_b"], world["here"]
    status, text = await upload_rules(page_a, PNG, "scan.png")
    assert status == 422 and "Le règlement intérieur doit être un fichier PDF." in text
    status, text = await upload_rules(page_a, PDF, "règlement 2026.pdf")
    assert status == 200 and "publié (version 1)" in text

    # booking: an activity that needs the règlement, open next month
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    ruled = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": f"ALSH Règlement {uuid.uuid4().hex[:4]}", "start_time": "09:00",
        "end_time": "17:00", "requires_house_rules": True}, expect=201))["id"]
    await staff.call("POST", f"/api/v1/booking/activities/{ruled}/openings", {
        "weekdays": [0, 1, 2, 3, 4], "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()},
        expect=201)
    child = await child_of(site, here["family_id"])

    async def calendar_states() -> set[str]:
        cal = await parent_a.call("POST", "/api/v1/booking/calendar", {"child_id": child, "month": MONTH_KEY,
                                                                      "activity_id": ruled})
        return {d["state"] for d in cal["days"]}

    assert await calendar_states() == {"closed"}

    dossier = await parent_a.call("GET", "/api/v1/dossier/dossier")
    rules_sheet = next(s for s in dossier["sheets"] if s["kind"] == "reglement")
    sheet = await parent_a.call("GET", f"/api/v1/dossier/sheets/{rules_sheet['id']}")
    assert sheet["house_rules"]["version"] == 1
    async with parent_a.http.get(f"{site.url}/dossier/reglement/{sheet['house_rules']['id']}") as resp:
        assert resp.status == 200 and await resp.read() == PDF
    async with parent_b.http.get(f"{site.url}/dossier/reglement/{sheet['house_rules']['id']}") as resp:
        assert resp.status == 404  # another commune's family
    await parent_a.call("POST", f"/api/v1/dossier/sheets/{rules_sheet['id']}/submit", {"data": RULES})

    async def signed(version: int):
        rows = await query(site.booking_db, "SELECT version FROM house_rules_signed WHERE child_id = $1",
                           uuid.UUID(child))
        return rows and rows[0]["version"] == version

    await eventually(lambda: signed(1))
    await eventually(lambda: calendar_states_open(calendar_states))

    status, text = await upload_rules(page_a, PDF, "règlement modifié.pdf")
    assert "publié (version 2)" in text and "1 fiche(s) déjà signée(s)" in text
    sheet = await parent_a.call("GET", f"/api/v1/dossier/sheets/{rules_sheet['id']}")
    assert sheet["state"] == "a_remplir" and sheet["house_rules"]["version"] == 2 and sheet["editable"]

    async def closed_again():
        return await calendar_states() == {"closed"}

    await eventually(closed_again)
    await parent_a.call("POST", f"/api/v1/dossier/sheets/{rules_sheet['id']}/submit", {"data": RULES})
    await eventually(lambda: signed(2))
    await eventually(lambda: calendar_states_open(calendar_states))
    await staff.close()


async def calendar_states_open(states) -> bool:
    return "available" in await states()


async def test_an_agent_sees_the_night_status_of_its_structure_but_cannot_run_it(site, world):
    page_a = world["pages"]["a"]
    found = await page_a.get("/gestion/exploitation")
    assert found.status == 200
    assert "Dernière transmission des réservations" in found.text and "Dernier compte-rendu du matin" in found.text
    assert "Lancer la transmission maintenant" not in found.text and "Envoyer le compte-rendu" not in found.text
    for action in ("transmission", "synthese"):
        refused = await page_a.post(f"/gestion/exploitation/{action}", {})
        assert refused.status == 403
    admin = site.browser()
    await admin.login("admin.portail", "Demo-Admin-2027")
    page = await admin.get("/gestion/exploitation")
    assert "Lancer la transmission maintenant" in page.text and "Dernière transmission des réservations" in page.text
