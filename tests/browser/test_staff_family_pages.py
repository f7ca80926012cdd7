"""Staff find a family and act from its page, in headless Chromium against the real stack (issue 16): from
/gestion alone, a search by a child's name, the family page, a payment, a security update, and a failed mail
sent again from the failures page and the family page; no staff form asks for a family's number any more.
The three screens are saved into docs/screenshots/ for the README."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import asyncpg
from playwright.async_api import Page, expect

from services.auth import demo
from tests.browser.test_staff_pages import DESKTOP, STAFF, api, sign_in_staff
from tests.conftest import eventually
from tests.e2e.test_access_booking_dossier_notify import family_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP_800 = {"width": 1280, "height": 800}

expect.set_options(timeout=15_000)


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


async def deliveries(notify_db: str, family_id: str) -> list:
    conn = await asyncpg.connect(notify_db)
    try:
        return await conn.fetch("SELECT id, status FROM deliveries WHERE family_id = $1 ORDER BY id",
                                uuid.UUID(family_id))
    finally:
        await conn.close()


async def test_staff_find_a_family_pay_flag_and_resend_a_failed_mail_from_gestion_alone(portal, open_page):
    admin = await api(portal, "admin.portail")
    tag = uuid.uuid4().hex[:5]
    parent, family = await family_in(portal, admin, demo.DEMO_STRUCTURE_ID, f"Capucine{tag}")
    for first in ("Basile", "Clémence"):  # other families, so that the search has something to leave out
        await family_in(portal, admin, demo.DEMO_STRUCTURE_ID, f"{first}{tag}")
    notify_db = re.sub(r"auth$", "notify", portal.auth_db)

    page = await open_page(DESKTOP_800)
    await sign_in_staff(page, portal, STAFF)
    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Familles").click()
    await expect(page.get_by_role("heading", name="Rechercher une famille")).to_be_visible()
    await expect(page.get_by_label("Numéro de la famille")).to_have_count(0)  # no form asks for an id
    await page.get_by_label("Identifiant, nom d'un responsable ou d'un enfant, adresse ou courriel").fill(
        f"capucine{tag}")
    await page.get_by_role("button", name="Rechercher").click()
    results = page.get_by_role("table", name=re.compile("famille\\(s\\) trouvée\\(s\\)"))
    await expect(results.get_by_role("link")).to_have_text([family["identifiant"]])
    await expect(results).to_contain_text(f"MOREAU Capucine{tag}")
    await screenshot(page, "gestion-familles.png")

    # its page: who it is, its dossier, its month, its account, its mails
    await results.get_by_role("link", name=family["identifiant"]).click()
    await expect(page.get_by_role("heading", name=f"Famille {family['identifiant']}")).to_be_visible()
    await expect(page.get_by_role("table", name="Enfants")).to_contain_text(f"MOREAU Capucine{tag}")
    await expect(page.get_by_text(family["address"]).first).to_be_visible()

    # a payment received at the desk, recorded from the family's page
    await page.get_by_label("Montant (€)").fill("18,40")
    await page.get_by_label("Moyen de paiement").select_option(label="Chèque")
    await page.get_by_label("Référence (facultatif)").fill(f"CHQ-{tag}")
    await page.get_by_role("button", name="Enregistrer le paiement").click()
    await expect(page.get_by_text("✓ Le paiement a bien été enregistré")).to_be_visible()
    await expect(page.get_by_role("table", name="Règlements reçus")).to_contain_text("18,40 €")
    await expect(page.get_by_role("table", name="Règlements reçus")).to_contain_text(f"CHQ-{tag}")

    # a security update: a new password at the next sign-in
    await page.get_by_role("button", name="Demander la mise à jour de sécurité").click()
    await expect(page.get_by_text("✓ La famille devra choisir un nouveau mot de passe")).to_be_visible()
    await expect(page.get_by_text("Nouveau mot de passe demandé à la prochaine connexion")).to_be_visible()

    # the payment ticket could not be delivered (the mail server refused it)
    async def ticket_sent():
        rows = await deliveries(notify_db, family["family_id"])
        return rows if rows and rows[-1]["status"] == "sent" else None

    ticket = (await eventually(ticket_sent))[-1]
    conn = await asyncpg.connect(notify_db)
    try:
        await conn.execute("UPDATE deliveries SET status = 'failed', smtp_answer = '550 5.1.1 Boîte aux lettres "
                           "inconnue' WHERE id = $1", ticket["id"])
    finally:
        await conn.close()

    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Envois en échec").click()
    failures = page.get_by_role("table", name=re.compile("courriel\\(s\\) en échec"))
    row = failures.get_by_role("row").filter(has_text=family["identifiant"])
    await expect(row).to_contain_text("550 5.1.1 Boîte aux lettres inconnue")
    await expect(row).to_contain_text(family["address"])
    await screenshot(page, "gestion-envois.png")

    # from the failure to the family's page, where the mail shows its state, and sent again from there
    await row.get_by_role("link", name=family["identifiant"]).click()
    mails = page.get_by_role("table", name="Courriels envoyés à la famille et leur état")
    await expect(mails).to_contain_text("Échec de l'envoi : 550 5.1.1 Boîte aux lettres inconnue")
    await screenshot(page, "gestion-famille.png")
    before = len(portal.catcher.messages)
    await mails.get_by_role("button", name=re.compile("^Renvoyer le courriel")).click()
    await expect(page.get_by_text("✓ Le courriel va être renvoyé")).to_be_visible()

    async def delivered_again():
        return [m for m in portal.catcher.messages[before:] if family["address"] in m.to]

    await eventually(delivered_again)
    await page.reload()
    await expect(page.get_by_role("table", name="Courriels envoyés à la famille et leur état")).to_contain_text(
        "Envoyé")
    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Envois en échec").click()
    await expect(page.get_by_text("Aucun courriel en échec")).to_be_visible()
    for client in (admin, parent):
        await client.close()


async def test_another_structure_s_family_page_does_not_exist_for_staff(portal, open_page):
    admin = await api(portal, "admin.portail")
    parent, theirs = await family_in(portal, admin, demo.DEMO_SECOND_STRUCTURE_ID, "Oscar")
    page = await open_page(DESKTOP)
    await sign_in_staff(page, portal, STAFF)
    response = await page.goto(f"{portal.url}/gestion/familles/{theirs['family_id']}")
    assert response.status == 404
    await page.goto(f"{portal.url}/gestion/familles?q={theirs['identifiant']}")
    await expect(page.get_by_text(f"Aucune famille ne correspond à « {theirs['identifiant']} »")).to_be_visible()
    for client in (admin, parent):
        await client.close()
