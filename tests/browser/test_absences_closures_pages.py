"""Issue 19 in the browser: a parent declares a child's absence with its medical certificate, staff of the
structure read it and accept it, and close a day exceptionally then re-open it (headless Chromium against
the real services; axe-core and the CSP checked on every page)."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, expect

from services.auth import demo
from tests.e2e.test_bookings import MONTH, MONTH_END, MONTH_KEY, Api, new_family, open_days

expect.set_options(timeout=15_000)
CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


async def sign_in(page: Page, portal, login: str, password: str) -> None:
    await page.goto(portal.url + "/connexion")
    await page.get_by_label("Votre identifiant").fill(login)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_load_state()


async def canteen(staff: Api, name: str = "") -> str:
    activity = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": name or f"Restauration scolaire {uuid.uuid4().hex[:4]}",
        "start_time": "11:30", "end_time": "13:30"}, expect=201))["id"]
    await staff.call("POST", f"/api/v1/booking/activities/{activity}/openings", {
        "weekdays": [0, 1, 2, 3, 4], "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()},
        expect=201)
    return activity


async def test_a_parent_declares_an_absence_and_staff_accept_it(portal, open_page, artifacts):
    staff = Api(portal.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    activity = await canteen(staff)
    parent_api, family = await new_family(portal, staff, children=1)
    child = family["children"][0]
    days = open_days(await parent_api.call("POST", "/api/v1/booking/calendar", {
        "child_id": child["id"], "month": MONTH_KEY, "activity_id": activity}))
    results = (await parent_api.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child["id"], "activity_id": activity, "date": day, "action": "reserve"} for day in days[:2]]}))
    assert {r["outcome"] for r in results["results"]} == {"accepted"}

    page = await open_page()
    await sign_in(page, portal, family["identifiant"], "Cantine-Mercredi-2027")
    await page.goto(portal.url + "/reservations/absences")
    await expect(page.get_by_role("heading", name="Déclarer une absence")).to_be_visible()
    await page.get_by_label("Enfant").select_option(child["id"])
    await page.get_by_label("Absent du").fill(days[0])
    await page.get_by_label("au", exact=True).fill(days[1])
    # a file that is not a certificate the dossier accepts: refused in French, nothing declared
    await page.get_by_label("Certificat médical").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"pas un certificat"})
    await page.get_by_role("button", name="Déclarer l'absence").click()
    await expect(page.get_by_role("alert")).to_contain_text("seuls les PDF, JPEG et PNG sont acceptés")
    await expect(page.get_by_text("Aucune absence déclarée.")).to_be_visible()
    await page.get_by_label("Certificat médical").set_input_files(
        {"name": "certificat.pdf", "mimeType": "application/pdf", "buffer": PDF})
    await page.get_by_role("button", name="Déclarer l'absence").click()
    await expect(page.get_by_text("✓ Votre absence est déclarée")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="En attente de réponse")
    await expect(row).to_contain_text("Léo")
    await page.screenshot(path=str(artifacts / "reservations-absence.png"), full_page=True)

    office = await open_page()
    await sign_in(office, portal, "agent.carteville", "Demo-Agent-2027")
    await office.goto(portal.url + "/gestion/absences")
    await expect(office.get_by_role("heading", name="Absences déclarées")).to_be_visible()
    pending = office.get_by_role("row").filter(has_text="DURAND Léo")
    await expect(pending.get_by_role("link", name="Certificat médical de DURAND Léo")).to_be_visible()
    async with office.expect_download() as download:
        await pending.get_by_role("link", name="Certificat médical de DURAND Léo").click()
    assert (await (await download.value).path()).read_bytes() == PDF
    await office.screenshot(path=str(artifacts / "gestion-absences.png"), full_page=True)
    await pending.get_by_role("button", name="Accepter").click()
    await expect(office.get_by_text("✓ La réponse à l'absence est enregistrée")).to_be_visible()
    await expect(office.get_by_role("row").filter(has_text="DURAND Léo")).to_contain_text("Absence justifiée")

    await page.goto(portal.url + "/reservations/absences")
    await expect(page.get_by_role("row").filter(has_text="Léo")).to_contain_text("Absence justifiée")
    await page.goto(portal.url + f"/reservations/suivi?enfant={child['id']}")
    await expect(page.get_by_text("absence justifiée").first).to_be_visible()
    for api in (staff, parent_api):
        await api.close()


async def test_staff_close_a_day_exceptionally_and_reopen_it(portal, open_page, artifacts):
    staff = Api(portal.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    name = f"APS Matin {uuid.uuid4().hex[:4]}"
    activity = await canteen(staff, name)
    sessions = await staff.call("GET", f"/api/v1/booking/sessions?activity_id={activity}&from={MONTH.isoformat()}"
                                       f"&to={MONTH_END.isoformat()}")
    day = sessions["sessions"][-1]["date"]

    page = await open_page()
    await sign_in(page, portal, "agent.carteville", "Demo-Agent-2027")
    await page.goto(portal.url + "/gestion/fermetures-exceptionnelles")
    await expect(page.get_by_role("heading", name="Fermetures exceptionnelles")).to_be_visible()
    await page.get_by_label("Du").fill(day)
    await page.get_by_label("Au", exact=True).fill(day)
    await page.get_by_label("Motif (dit aux familles)").fill("Grève")
    await page.get_by_label("Activité fermée").select_option(label=name)
    await page.get_by_role("button", name="Fermer et annuler les réservations").click()
    await expect(page.get_by_text("✓ La fermeture est enregistrée")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=name)
    await expect(row).to_contain_text("Grève")
    await page.screenshot(path=str(artifacts / "gestion-fermetures.png"), full_page=True)
    await row.get_by_role("button", name="Lever (avant le premier jour)").click()
    await expect(page.get_by_text("✓ La fermeture est levée")).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text=name)).to_have_count(0)
    await staff.close()
