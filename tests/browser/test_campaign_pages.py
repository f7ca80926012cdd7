"""The staff's follow-up of the dossier campaign in headless Chromium (issue 16), from /gestion alone: the
progress per sheet kind and the one-click reminder (one mail per family and day), the règlement intérieur
uploaded per school year and signed by a parent after reading that version (a new version asks for a new
signature), and a booking request refused only with a reason, which the parent reads in its suivi."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

from playwright.async_api import expect

from kit.clock import paris_today
from tests.browser.test_staff_pages import ADMIN, STAFF, api, sign_in, sign_in_staff
from tests.conftest import eventually
from tests.e2e.test_bookings import CARTEVILLE, MONTH, MONTH_END, MONTH_KEY, new_family, open_days
from tests.e2e.test_dossier import PDF

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PARENT_PASSWORD = "Cantine-Mercredi-2027"  # what tests.e2e.test_bookings.new_family leaves the family with
SCHOOL_YEAR = "2026-2027"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

expect.set_options(timeout=15_000)


async def campaign_open(portal) -> None:
    admin = await api(portal, ADMIN)
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": SCHOOL_YEAR}, expect=None)
    await admin.close()


async def test_staff_follow_the_campaign_and_remind_the_families_once_a_day(portal, open_page):
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)
    await campaign_open(portal)
    staff = await api(portal, STAFF)
    _, family = await new_family(portal, staff, children=1)
    address = f"{family['identifiant'].lower()}@example.fr"

    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Campagne").click()
    await expect(page.get_by_role("heading", name="Campagne du dossier famille")).to_be_visible()
    progress = page.locator("table[data-avancement]")
    await expect(progress.locator("tr[data-fiche='famille'] th")).to_have_text("Fiche famille")
    await expect(progress.locator("tr[data-fiche='reglement'] th")).to_have_text("Règlement intérieur")
    row = page.locator("tr", has_text=family["identifiant"])

    async def listed():  # auth's event reaches dossier in a moment
        await page.reload()
        return await row.count()

    await eventually(listed)
    await expect(row.locator("[data-relance]")).to_have_text("Jamais relancée")

    await page.get_by_role("button", name="Relancer les familles qui n'ont pas commencé").click()
    await expect(page.get_by_role("status")).to_contain_text("famille(s) relancée(s) par courriel")
    await expect(row.locator("[data-relance]")).to_have_text(f"Relancée le {paris_today().strftime('%d/%m/%Y')}")
    await page.screenshot(path=str(SCREENSHOTS / "gestion-campagne.png"))

    async def mailed():
        return [m for m in portal.catcher.messages if address in m.to and "dossier famille" in m.subject]

    [mail] = await eventually(mailed)
    assert "pas encore commencé" in mail.text
    # a second click the same day mails nobody again, and says so
    await page.get_by_role("button", name="Relancer les familles qui n'ont pas commencé").click()
    await expect(page.get_by_role("status")).to_contain_text("0 famille(s) relancée(s)")
    await expect(page.get_by_role("status")).to_contain_text("déjà relancée(s) aujourd'hui")
    await page.wait_for_timeout(1500)
    assert len(await mailed()) == 1
    await staff.close()


async def test_the_house_rules_are_uploaded_read_signed_and_signed_again_for_a_new_version(portal, open_page):
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)
    await campaign_open(portal)
    staff = await api(portal, STAFF)
    parent_api, family = await new_family(portal, staff, children=1)

    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Règlement intérieur").click()
    await expect(page.get_by_role("heading", name="Règlement intérieur", exact=True)).to_be_visible()
    await expect(page.get_by_label("Année scolaire")).to_have_value(SCHOOL_YEAR)
    await page.get_by_label("Fichier PDF").set_input_files(
        files=[{"name": "scan.png", "mimeType": "application/pdf", "buffer": PNG}])
    await page.get_by_role("button", name="Publier le règlement").click()
    await expect(page.get_by_role("alert")).to_contain_text("Le règlement intérieur doit être un fichier PDF.")
    await page.get_by_label("Fichier PDF").set_input_files(
        files=[{"name": "reglement-2026.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    await page.get_by_role("button", name="Publier le règlement").click()
    await expect(page.get_by_role("status")).to_contain_text("Le règlement intérieur a bien été publié (version")
    versions = page.locator("table[data-versions] tbody tr")
    version = int(await versions.first.locator("td.nombre").text_content())
    await expect(versions.first).to_contain_text("reglement-2026.pdf")
    await page.screenshot(path=str(SCREENSHOTS / "gestion-reglement.png"))

    # the parent reads that version on the règlement sheet, then ticks and signs
    parent = await open_page()
    await sign_in(parent, portal, family["identifiant"], PARENT_PASSWORD)
    await parent.goto(portal.url + "/dossier")
    await parent.get_by_role("link", name=re.compile("Règlement intérieur — Léo")).click()
    link = parent.get_by_role("link", name=f"Lire ou télécharger le règlement intérieur {SCHOOL_YEAR} "
                                           f"(version {version}, PDF)")
    answer = await parent.request.get(portal.url + await link.get_attribute("href"))
    assert answer.status == 200 and await answer.body() == PDF
    await parent.get_by_label("J'ai pris connaissance du règlement intérieur et j'ai informé mon enfant de ce "
                              "règlement").check()
    await parent.get_by_label("Fait à").fill("CarteVille")
    await parent.get_by_label("Le (date)").fill((dt.date.today() - dt.timedelta(days=1)).isoformat())
    await parent.get_by_label("À (heure)").fill("08:30")
    await parent.screenshot(path=str(SCREENSHOTS / "reglement-signature.png"))
    await parent.get_by_role("button", name="Valider et transmettre la fiche").click()
    await expect(parent.locator("[data-etat]")).to_have_text("Transmise, en attente de validation")
    await expect(parent.locator("[data-version-signee]")).to_have_text(f"Version signée : {version}.")

    # a new version: the family must sign again
    await page.get_by_label("Fichier PDF").set_input_files(
        files=[{"name": "reglement-2026-modifie.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    await page.get_by_role("button", name="Publier le règlement").click()
    await expect(page.get_by_role("status")).to_contain_text(f"(version {version + 1})")
    await expect(page.get_by_role("status")).to_contain_text("doivent être signées de nouveau")
    await parent.reload()
    await expect(parent.locator("[data-etat]")).to_have_text("À remplir")
    await expect(parent.get_by_role("link", name=re.compile(f"version {version + 1}, PDF"))).to_be_visible()
    await expect(parent.get_by_label("J'ai pris connaissance du règlement intérieur et j'ai informé mon enfant de "
                                     "ce règlement")).not_to_be_checked()
    for client in (staff, parent_api):
        await client.close()


async def test_a_request_is_refused_only_with_a_reason_which_the_parent_reads(portal, open_page):
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)
    staff = await api(portal, STAFF)
    parent_api, family = await new_family(portal, staff, children=1)
    name = f"Stage cirque {uuid.uuid4().hex[:4]}"
    activity = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": name, "start_time": "09:00", "end_time": "12:00",
        "needs_approval": True}, expect=201))["id"]
    await staff.call("POST", f"/api/v1/booking/activities/{activity}/openings", {
        "weekdays": [0, 1, 2, 3, 4], "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()},
        expect=201)
    child = family["children"][0]["id"]
    calendar = await parent_api.call("POST", "/api/v1/booking/calendar",
                                     {"child_id": child, "month": MONTH_KEY, "activity_id": activity})
    day = open_days(calendar)[0]
    [result] = (await parent_api.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child, "activity_id": activity, "date": day, "action": "reserve"}]}))["results"]
    assert result["outcome"] == "pending"

    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Demandes").click()
    row = page.locator("tr", has_text=name)
    await row.get_by_role("button", name="Refuser").click()
    await expect(page.get_by_role("alert")).to_contain_text("Indiquez le motif du refus")
    row = page.locator("tr", has_text=name)
    await row.get_by_label("Motif (obligatoire en cas de refus)").fill("Groupe complet ce jour-là")
    await row.get_by_role("button", name="Refuser").click()
    await expect(page.get_by_text("✓ La décision a bien été enregistrée")).to_be_visible()

    parent = await open_page()
    await sign_in(parent, portal, family["identifiant"], PARENT_PASSWORD)
    await parent.goto(portal.url + "/reservations/suivi")
    line = parent.locator("table.suivi tr", has_text=name)
    await expect(line).to_contain_text("Refusée")
    await expect(line).to_contain_text("Motif : Groupe complet ce jour-là")
    for client in (staff, parent_api):
        await client.close()


async def test_an_agent_sees_the_night_status_of_its_structure_without_running_it(portal, open_page):
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)
    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Exploitation").click()
    status = page.locator("[data-etat-nuit]")
    await expect(status.get_by_role("heading", name="Transmission et compte-rendu de la structure")).to_be_visible()
    await expect(status.locator("[data-transmission]")).to_contain_text("en attente de la prochaine transmission")
    await expect(status.locator("[data-compte-rendu]")).to_contain_text("en attente du prochain compte-rendu")
    await expect(page.get_by_role("button", name="Lancer la transmission maintenant")).to_have_count(0)
    await expect(page.get_by_role("button", name="Envoyer le compte-rendu maintenant")).to_have_count(0)
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")  # a genuine form's token
    for action in ("transmission", "synthese"):
        answer = await page.request.post(f"{portal.url}/gestion/exploitation/{action}", form={"csrf": csrf})
        assert answer.status == 403
