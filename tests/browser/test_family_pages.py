"""The family's Consommations and Dossier Famille pages in headless Chromium, against the real billing and
dossier services behind the gateway: two months of consumptions published as booking.transmitted events, the
arrows, the filter, the CSV export and the print page, an invoice paid online through the test provider; the
dossier of a campaign opened by the admin: draft, missing pieces, a refused fake PDF, an upload, the
submission, and the règlement intérieur of each child; everything on a 375 px phone too."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from contracts import BookingTransmittedV1, TransmittedLine
from contracts.dossier import DossierFamilyUpdatedV1
from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_billing import months, publish
from tests.e2e.test_bookings import Api, new_family

PASSWORD = "Cantine-Mercredi-2027"  # the one new_family sets
CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SCHOOL_YEAR = "2026-2027"

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
async def staff(portal):
    api = Api(portal.url)
    await api.login("agent.carteville", "Demo-Agent-2027")
    yield api
    await api.close()


@pytest.fixture(scope="module")
async def admin(portal):
    api = Api(portal.url)
    await api.login("admin.portail", "Demo-Admin-2027")
    yield api
    await api.close()


async def sign_in(page: Page, portal, identifiant: str) -> None:
    await page.goto(portal.url + "/connexion")
    await page.get_by_label("Votre identifiant").fill(identifiant)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", name="Accueil", exact=True)).to_be_visible()


async def downloaded(download) -> bytes:
    return Path(await download.path()).read_bytes()


async def no_horizontal_scroll(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"horizontal scroll: {width}px > {PHONE['width']}px"


async def consumptions_for(portal, amqp_url, staff: Api, parent: Api, family: dict) -> tuple[str, str]:
    """REPAS SCOLAIRE for the three children: 4 days of the previous month, the 1st of this one."""
    canteen = str(uuid.uuid4())
    await staff.call("POST", "/api/v1/billing/tariffs", {
        "structure_id": CARTEVILLE, "activity_id": canteen, "activity_name": "REPAS SCOLAIRE",
        "effective_from": "2020-01-01", "unit": "session", "reduced_from_rank": 2,
        "brackets": [{"qf_max": 700, "price_cents": 250, "reduced_price_cents": 210},
                     {"qf_max": None, "price_cents": 359, "reduced_price_cents": 298}]}, expect=201)
    await publish(amqp_url, DossierFamilyUpdatedV1(family_id=family["family_id"], family_quotient=1200,
                                                   updated_at=dt.datetime.now(dt.UTC)))
    previous, current = months()
    lines = [TransmittedLine(booking_id=uuid.uuid4(), child_id=child["id"], child_first_name=child["first_name"],
                             child_last_name=child["last_name"], activity_id=canteen,
                             activity_name="REPAS SCOLAIRE", date=day, kind="reserve", outcome="accepted")
             for day in [previous + dt.timedelta(days=i) for i in (15, 16, 18, 19)] + [current]
             for child in family["children"]]
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=family["family_id"], structure_id=CARTEVILLE,
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC), lines=lines))
    prev_key, cur_key = previous.strftime("%Y-%m"), current.strftime("%Y-%m")
    for month, count in ((prev_key, 12), (cur_key, 3)):
        async def arrived(month=month, count=count):
            data = await parent.call("GET", f"/api/v1/billing/consumptions?month={month}")
            return data if len(data["lines"]) == count else None

        await eventually(arrived)
    return prev_key, cur_key


# -- consommations ---------------------------------------------------------------------------------------------
async def test_consumptions_history_exports_print_and_online_payment(portal, amqp_url, staff, admin, open_page):
    parent, family = await new_family(portal, staff, children=3)
    prev_key, _ = await consumptions_for(portal, amqp_url, staff, parent, family)
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])

    await page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Consommations").click()
    await expect(page.get_by_role("heading", name="Historique des Consommations")).to_be_visible()
    await expect(page.get_by_label("Filtres")).to_have_attribute("placeholder", "Date, prénom, activité, etc.")
    table = page.locator("table.conso-table")
    await expect(table.locator("thead th")).to_have_text(
        ["Date", "Nom", "Prénom", "Activité", "Prix (€)", "Qté", "Total (€)"])
    await expect(table.locator("tbody tr")).to_have_count(3)
    await expect(page.locator("[data-total]")).to_have_text("TOTAL(€) 9,55")
    # this month: no → arrow; ← leads to the previous month, which has no ← (two months only)
    await expect(page.get_by_role("link", name="Mois suivant")).to_have_count(0)
    await page.get_by_role("link", name="Mois précédent").click()
    await expect(page).to_have_url(re.compile(rf"mois={prev_key}"))
    await expect(table.locator("tbody tr")).to_have_count(12)
    await expect(page.locator("[data-total]")).to_have_text("TOTAL(€) 38,20")
    await expect(page.get_by_role("link", name="Mois précédent")).to_have_count(0)
    await expect(table).to_contain_text("REPAS SCOLAIRE")

    # the filter keeps the month
    await page.get_by_label("Filtres").fill("Zoé")
    await page.get_by_role("button", name="Filtrer").click()
    await expect(table.locator("tbody tr")).to_have_count(4)
    await expect(page.locator("[data-total]")).to_have_text("TOTAL(€) 11,92")
    await page.get_by_role("link", name="tout afficher").click()
    await expect(table.locator("tbody tr")).to_have_count(12)

    # the CSV export, read back
    await page.locator("summary", has_text="Exporter").click()
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Exporter en CSV (tableur)").click()
    download = await info.value
    assert download.suggested_filename == f"consommations-{prev_key}.csv"
    raw = await downloaded(download)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date", "Nom", "Prénom", "Activité", "Prix (€)", "Qté", "Total (€)"]
    assert len(rows) == 1 + 12 + 1 and rows[-1][-1] == "38,20"
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Exporter en PDF").click()
    pdf = await downloaded(await info.value)
    assert pdf.startswith(b"%PDF")

    # the print page: no menu, a print button, print CSS
    await page.get_by_role("link", name="Imprimer").click()
    await expect(page).to_have_url(re.compile(rf"/consommations/imprimer\?mois={prev_key}"))
    await expect(page.get_by_role("heading", name="Historique des Consommations")).to_be_visible()
    await expect(page.locator("#menu")).to_have_count(0)
    # the button prints through portail.js (no inline handler under the Content-Security-Policy)
    await page.evaluate("() => { window.print = () => { window.imprime = true; }; }")
    await page.get_by_role("button", name="Imprimer").click()
    assert await page.evaluate("() => window.imprime === true")
    await expect(page.locator("body")).to_contain_text("TOTAL(€) 38,20")
    await page.emulate_media(media="print")
    await expect(page.get_by_role("button", name="Imprimer")).to_be_hidden()
    await page.emulate_media(media="screen")

    # bad input is a French 400, not a 500
    response = await page.goto(portal.url + "/consommations?mois=1999-01")
    assert response.status == 400
    await expect(page.locator("main")).to_contain_text("Seuls le mois en cours et le mois précédent")
    response = await page.goto(portal.url + "/consommations?mois=n'importe")
    assert response.status == 400

    # an invoice for the previous month, paid online through eopayment's dummy backend (its local page)
    await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": prev_key})
    await page.goto(portal.url + "/consommations")
    invoice = page.locator("table.factures tbody tr")
    await expect(invoice).to_have_count(1)
    await expect(invoice).to_contain_text("38,20")
    await expect(invoice).to_contain_text("À payer")
    await expect(page.locator("[data-solde]")).to_have_text("-38,20 €")
    await invoice.get_by_role("button", name=re.compile("Payer en ligne")).click()
    await expect(page).to_have_url(re.compile(r"/paiement-dummy/\?"))
    await expect(page.locator("body")).to_contain_text("38.20")
    await page.get_by_role("button", name="Payer", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/consommations\?paiement=ok$"))
    await expect(page.get_by_role("status")).to_contain_text("Votre paiement a bien été enregistré")
    await expect(invoice).to_contain_text("Payée")
    await expect(invoice.get_by_role("button", name=re.compile("Payer en ligne"))).to_have_count(0)
    await expect(page.locator("table.reglements")).to_contain_text("Paiement en ligne")
    await expect(page.locator("table.reglements")).to_contain_text("38,20")
    await expect(page.locator("[data-solde]")).to_have_text("0,00 €")
    await expect(page.locator("table.paiements-en-ligne")).to_contain_text("Payé")
    async with page.expect_download() as info:
        await invoice.get_by_role("link", name=re.compile("Facture PDF")).click()
    assert (await downloaded(await info.value)).startswith(b"%PDF")
    await parent.close()


# -- dossier famille -------------------------------------------------------------------------------------------
async def dossier_ready(parent: Api, children: int) -> dict:
    async def ready():
        data = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
        return data if isinstance(data, dict) and len(data.get("sheets", [])) == 1 + 5 * children else None

    return await eventually(ready)


async def test_dossier_draft_missing_pieces_upload_submit_and_house_rules(portal, staff, admin, open_page):
    parent, family = await new_family(portal, staff, children=2)
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])
    already = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
    if isinstance(already, dict) and "sheets" not in already:  # no campaign yet: a French notice
        await page.goto(portal.url + "/dossier")
        await expect(page.get_by_role("status")).to_contain_text("Aucune campagne de dossier famille n'est ouverte")
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": SCHOOL_YEAR}, expect=None)
    await dossier_ready(parent, 2)

    await page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Dossier Famille").click()
    await expect(page.get_by_role("heading", name=f"Dossier Famille — année {SCHOOL_YEAR}")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Chaque année, nous vous demanderons")
    await expect(page.locator("main")).to_contain_text("IMPORTANT")
    await expect(page.get_by_role("heading", name="Léo DURAND")).to_be_visible()
    await expect(page.get_by_role("heading", name="Marina DURAND")).to_be_visible()
    await expect(page.get_by_role("link", name="Télécharger tout mon dossier")).to_be_visible()
    famille = page.locator("[data-fiche=famille]")
    await expect(famille).to_contain_text("À remplir")

    # a draft first
    await famille.get_by_role("link", name="Fiche famille").click()
    await expect(page.get_by_role("heading", name="Fiche famille")).to_be_visible()
    await page.get_by_label("Commune").fill("CarteVille")
    await page.get_by_role("button", name="Enregistrer en brouillon").click()
    await expect(page.get_by_role("status")).to_contain_text("enregistrée en brouillon")
    await expect(page.locator("[data-etat]")).to_have_text("Brouillon")
    await expect(page.get_by_label("Commune")).to_have_value("CarteVille")

    # a wrong phone number is told in French, nothing is lost
    await page.get_by_label("Téléphone portable").fill("12")
    await page.get_by_role("button", name="Enregistrer en brouillon").click()
    await expect(page.get_by_role("alert")).to_contain_text("Téléphone portable : Numéro de téléphone invalide")
    await expect(page.get_by_label("Commune")).to_have_value("CarteVille")

    # everything but the piece: the missing list says so
    await page.get_by_label("Date de naissance").fill("1985-04-02")
    await page.get_by_label("Adresse", exact=True).fill("3 rue des Écoles")
    await page.get_by_label("Code postal").fill("33340")
    await page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    await page.get_by_label("Adresse e-mail").fill("famille@example.fr")
    await page.get_by_label("Régime allocataire : CAF, MSA ou autre régime").select_option("CAF")
    await page.get_by_label("Numéro d'allocataire").fill("1234567")
    await page.get_by_label("Quotient familial", exact=True).fill("642")
    await page.get_by_role("button", name="Valider et transmettre la fiche").click()
    missing = page.locator(".manquant")
    await expect(missing).to_contain_text("Il manque")
    await expect(missing).to_contain_text("Pièce à joindre : Justificatif de quotient familial")

    # the limits are shown before trying; a text file named .pdf is refused in French; a real PDF goes
    piece = page.locator("[data-piece=justificatif_qf]")
    await expect(page.locator("[data-limites]")).to_have_text(
        "4 fichiers au plus, 2000 Ko maximum chacun, PDF, JPEG ou PNG")
    upload = piece.locator("input[type=file]")
    await expect(upload).to_have_attribute("accept", ".pdf,.jpg,.jpeg,.png")
    await upload.set_input_files({"name": "faux.pdf", "mimeType": "application/pdf",
                                  "buffer": b"ceci n'est pas un PDF"})
    await piece.get_by_role("button", name=re.compile("Envoyer le fichier")).click()
    await expect(page.locator("[data-piece=justificatif_qf] .erreur")).to_have_text(
        "Type de fichier non accepté : seuls les PDF, JPEG et PNG sont acceptés.")
    await page.locator("[data-piece=justificatif_qf] input[type=file]").set_input_files(
        {"name": "avis-caf.pdf", "mimeType": "application/pdf", "buffer": PDF})
    await page.locator("[data-piece=justificatif_qf]").get_by_role(
        "button", name=re.compile("Envoyer le fichier")).click()
    await expect(page.get_by_role("status")).to_contain_text("Le fichier a été ajouté")
    await expect(page.locator("[data-piece=justificatif_qf] .fichiers")).to_contain_text("avis-caf.pdf")
    await expect(page.get_by_label("Quotient familial", exact=True)).to_have_value("642")  # saved with the attempt

    await page.get_by_role("button", name="Valider et transmettre la fiche").click()
    await expect(page.get_by_role("status")).to_contain_text("validée et transmise")
    await expect(page.locator("[data-etat]")).to_have_text("Transmise, en attente de validation")
    await expect(page.get_by_role("button", name="Valider et transmettre la fiche")).to_have_count(0)
    await expect(page.get_by_label("Commune")).to_be_disabled()

    # the règlement intérieur, for each child; the other child is named at the top
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    await page.goto(portal.url + "/dossier")
    await page.get_by_role("link", name="Règlement intérieur — Léo").click()
    others = page.get_by_role("region", name="Règlement intérieur des autres enfants")
    await expect(others).to_contain_text("Marina")
    box = page.get_by_label("J'ai pris connaissance du règlement intérieur et j'ai informé mon enfant de ce règlement")
    await page.get_by_role("button", name="Valider et transmettre la fiche").click()
    await expect(page.locator(".manquant")).to_contain_text("Cochez « J'ai pris connaissance du règlement intérieur")
    for child in ("Léo", "Marina"):
        await expect(page.get_by_role("heading", name=f"Règlement intérieur — {child}")).to_be_visible()
        await box.check()
        await expect(page.get_by_label("Nom du signataire")).to_have_value("DURAND Alice")
        await page.get_by_label("Fait à").fill("CarteVille")
        await page.get_by_label("Le (date)").fill(yesterday)
        await page.get_by_label("À (heure)").fill("08:30")
        await page.get_by_role("button", name="Valider et transmettre la fiche").click()
        await expect(page.locator("[data-etat]")).to_have_text("Transmise, en attente de validation")
        await expect(box).to_be_checked()
        if child == "Léo":
            await others.get_by_role("link", name=re.compile("Accéder à la fiche")).click()
            await expect(others).to_contain_text("Léo")
            await expect(others).to_contain_text("Transmise")

    await page.goto(portal.url + "/dossier")
    await expect(page.locator("main")).to_contain_text("3 fiches transmises sur 11")
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Télécharger tout mon dossier").click()
    assert (await downloaded(await info.value)).startswith(b"PK")
    await parent.close()


async def test_contacts_sheet_and_contacts_page(portal, staff, admin, open_page):
    parent, family = await new_family(portal, staff, children=1)
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": SCHOOL_YEAR}, expect=None)
    await dossier_ready(parent, 1)
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])
    await page.goto(portal.url + "/dossier")
    await page.get_by_role("link", name="Fiche de contacts — Léo").click()
    await page.locator("summary", has_text="Créer un nouveau contact").click()
    await page.locator("#nc-last_name").fill("MARTIN")
    await page.locator("#nc-first_name").fill("Paul")
    await page.locator("#nc-phone").fill("06 11 22 33 44")
    await page.locator("#nc-relationship").fill("Grand-père")
    await page.get_by_role("button", name="Enregistrer", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Le contact a été ajouté")
    await expect(page.locator(".contact-lien > legend")).to_have_text("MARTIN Paul")
    await expect(page.get_by_label("Lien de parenté avec l'enfant").first).to_have_value("Grand-père")

    # still on Léo's sheet: the contacts page refuses the deletion in French
    await page.goto(portal.url + "/dossier/contacts")
    await page.get_by_role("button", name="Supprimer MARTIN Paul").click()
    await expect(page.get_by_role("alert")).to_contain_text("Retirez d'abord ce contact de la fiche de contacts de : Léo")
    await page.get_by_role("link", name="Modifier MARTIN Paul").click()
    await expect(page.locator("main")).to_contain_text("ATTENTION")
    await expect(page.get_by_label("Nom", exact=True)).to_have_attribute("readonly", "")
    await page.get_by_label("Téléphone").fill("06 99 88 77 66")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.get_by_role("status")).to_contain_text("Le contact a été modifié")
    await expect(page.locator("main")).to_contain_text("06 99 88 77 66")

    # removed from the child, then deleted
    await page.goto(portal.url + "/dossier")
    await page.get_by_role("link", name="Fiche de contacts — Léo").click()
    await page.get_by_role("button", name="Retirer ce contact de l'enfant").click()
    await expect(page.get_by_role("status")).to_contain_text("retiré de la fiche")
    await expect(page.locator(".contact-lien")).to_have_count(0)
    await expect(page.get_by_label("Choisir une personne de vos contacts")).to_contain_text("MARTIN Paul")
    await page.goto(portal.url + "/dossier/contacts")
    await page.get_by_role("button", name="Supprimer MARTIN Paul").click()
    await expect(page.get_by_role("status")).to_contain_text("Le contact a été supprimé")
    await parent.close()


# -- on a phone ---------------------------------------------------------------------------------------------------
async def test_family_pages_on_a_phone(portal, amqp_url, staff, admin, open_page, artifacts):
    parent, family = await new_family(portal, staff, children=3)
    await consumptions_for(portal, amqp_url, staff, parent, family)
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": SCHOOL_YEAR}, expect=None)
    await dossier_ready(parent, 3)
    page = await open_page(PHONE, is_mobile=True, has_touch=True)
    await sign_in(page, portal, family["identifiant"])

    await page.goto(portal.url + "/consommations")
    await expect(page.locator("[data-total]")).to_have_text("TOTAL(€) 9,55")
    await no_horizontal_scroll(page)
    await page.screenshot(path=str(artifacts / "consommations-telephone.png"), full_page=True)
    await page.goto(portal.url + "/dossier")
    await expect(page.get_by_role("heading", name=f"Dossier Famille — année {SCHOOL_YEAR}")).to_be_visible()
    await no_horizontal_scroll(page)
    await page.screenshot(path=str(artifacts / "dossier-telephone.png"), full_page=True)
    for link in ("Fiche famille", "Fiche sanitaire — Léo", "Fiche assurance — Léo", "Fiche de contacts — Léo",
                 "Règlement intérieur — Léo"):
        await page.goto(portal.url + "/dossier")
        await page.get_by_role("link", name=link).click()
        await expect(page.get_by_role("button", name="Valider et transmettre la fiche")).to_be_visible()
        await no_horizontal_scroll(page)
    await page.screenshot(path=str(artifacts / "dossier-reglement-telephone.png"), full_page=True)
    response = await page.goto(portal.url + "/dossier/fiche/pas-une-fiche")
    assert response.status == 404
    await expect(page.locator("main")).to_contain_text("Page introuvable")
    await parent.close()
