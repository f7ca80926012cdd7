"""The Gestion pages as staff and administrators use them: headless Chromium against the real services
(auth, booking, billing, dossier, notify and the gateway on PostgreSQL and RabbitMQ)."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from playwright.async_api import Page, expect

from services.booking.domain.openings import public_holidays
from tests.conftest import eventually
from tests.e2e.test_bookings import Api, new_family
from tests.e2e.test_dossier import FAMILY_DATA, PDF, find, upload

DESKTOP = {"width": 1280, "height": 900}
STAFF, ADMIN = "agent.carteville", "admin.portail"
RENEWED = {STAFF: "Gestion-Agent-2028", ADMIN: "Gestion-Admin-2028"}

expect.set_options(timeout=15_000)

# The demo accounts' current passwords (renewed at their first sign-in in a browser; one portal per module).
PASSWORDS = {STAFF: "Demo-Agent-2027", ADMIN: "Demo-Admin-2027"}


async def sign_in(page: Page, portal, login: str, password: str) -> None:
    await page.goto(portal.url + "/connexion")
    await page.get_by_label("Votre identifiant").fill(login)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_load_state()


async def sign_in_staff(page: Page, portal, login: str) -> None:
    """Sign in; on the first time, renew the demo password as the portal demands."""
    await sign_in(page, portal, login, PASSWORDS[login])
    if page.url.endswith("/mise-a-jour-securite"):
        await page.get_by_label("Saisir le nouveau mot de passe").fill(RENEWED[login])
        await page.get_by_label("Confirmez le mot de passe").fill(RENEWED[login])
        await page.get_by_role("button", name="Valider").click()
        await expect(page.get_by_text("mot de passe", exact=False).first).to_be_visible()
        PASSWORDS[login] = RENEWED[login]
    await page.goto(portal.url + "/gestion")
    await expect(page.get_by_role("heading", name="Gestion", exact=True)).to_be_visible()


async def api(portal, login: str) -> Api:
    client = Api(portal.url)
    await client.login(login, PASSWORDS[login])
    return client


def weekdays_between(start: date, end: date) -> list[date]:
    holidays = public_holidays(start.year) | public_holidays(end.year)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)
            if (start + timedelta(days=i)).weekday() < 5 and start + timedelta(days=i) not in holidays]


async def test_staff_create_an_activity_open_its_days_and_see_the_day_counts(portal, open_page):
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)
    await page.get_by_role("link", name="Activités").first.click()
    await expect(page.get_by_role("heading", name="Créer une activité")).to_be_visible()
    name = f"Cantine {uuid.uuid4().hex[:6]}"

    # a wrong form is refused with the service's French explanation, the input kept
    await page.get_by_label("Nom de l'activité").fill(name)
    await page.get_by_label("Heure de début").fill("13:30")
    await page.get_by_label("Heure de fin").fill("11:30")
    await page.get_by_label("Nombre de places (vide : illimité)").fill("12")
    await page.get_by_role("button", name="Créer l'activité").click()
    await expect(page.get_by_role("alert")).to_contain_text("l'heure de fin doit être après l'heure de début")
    await expect(page.get_by_label("Nom de l'activité")).to_have_value(name)

    await page.get_by_label("Heure de début").fill("11:30")
    await page.get_by_label("Heure de fin").fill("13:30")
    await page.locator("#reservation_jours").fill("3")
    await page.get_by_role("button", name="Créer l'activité").click()
    await expect(page.get_by_text("✓ L'activité a bien été créée")).to_be_visible()
    await expect(page.get_by_role("heading", name=name)).to_be_visible()
    await expect(page.get_by_text("12 places")).to_be_visible()

    # open Monday to Friday for two weeks, a week from now
    start = date.today() + timedelta(days=7)
    start += timedelta(days=(7 - start.weekday()) % 7)  # a Monday
    end = start + timedelta(days=11)
    expected = weekdays_between(start, end)
    await page.get_by_label("Période").select_option("all")
    await page.get_by_label("Du", exact=True).last.fill(start.isoformat())
    await page.get_by_label("Au", exact=True).last.fill(end.isoformat())
    await page.get_by_role("button", name="Ouvrir les jours").click()
    await expect(page.get_by_text(f"✓ {len(expected)} jour")).to_be_visible()
    rows = page.locator("table.effectifs tbody tr")
    await expect(rows).to_have_count(len(expected))
    first = page.locator(f'tr[data-jour="{expected[0].isoformat()}"]')
    await expect(first.locator('[data-effectif="reserves"]')).to_have_text("0")
    await expect(first.locator('[data-effectif="places"]')).to_have_text("12")
    await expect(first.locator('[data-effectif="attente"]')).to_have_text("0")
    await expect(first.locator('[data-effectif="demandes"]')).to_have_text("0")

    # the kitchen's figure changes with the day's places
    await first.locator('input[name="places"]').fill("15")
    await first.get_by_role("button", name="Modifier").click()
    await expect(page.get_by_text("✓ Le nombre de places a bien été modifié")).to_be_visible()
    first = page.locator(f'tr[data-jour="{expected[0].isoformat()}"]')
    await expect(first.locator('[data-effectif="places"]')).to_have_text("15")
    await expect(page.locator(f'tr[data-jour="{expected[1].isoformat()}"] [data-effectif="places"]')).to_have_text("12")

    # a tariff by quotient familial brackets
    await page.get_by_label("Applicable à partir du").fill(start.isoformat())
    await page.get_by_label("Tranche 1 : plafond de QF").fill("600")
    await page.get_by_label("Tranche 1 : prix", exact=True).fill("1,20")
    await page.get_by_label("Tranche 2 : prix", exact=True).fill("3,45")
    await page.get_by_role("button", name="Publier le tarif").click()
    await expect(page.get_by_text("✓ Le tarif a bien été publié")).to_be_visible()
    await page.get_by_label("Applicable à partir du").fill(start.isoformat())
    await page.get_by_label("Tranche 1 : prix", exact=True).fill("2,00")
    await page.get_by_role("button", name="Publier le tarif").click()
    await expect(page.get_by_role("alert")).to_contain_text("Un tarif existe déjà pour cette activité")

    # the activity is listed
    await page.get_by_role("link", name="← Toutes les activités").click()
    await expect(page.get_by_role("link", name=name)).to_be_visible()


async def test_staff_import_a_csv_with_a_bad_line_and_read_the_report(portal, open_page, artifacts):
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)
    await page.get_by_role("link", name="Familles").first.click()
    tag = uuid.uuid4().hex[:6].upper()
    csv_text = (
        "identifiant;responsable_nom;responsable_prenom;emails;structure;enfant_prenom;enfant_nom;enfant_naissance\n"
        f"GEST-{tag};MARTIN;Sophie;sophie.{tag.lower()}@example.fr;Mairie de CarteVille;Lina;MARTIN;12/03/2017\n"
        f"MAUV-{tag};BERNARD;Luc;luc@;Mairie de CarteVille;Emma;BERNARD;01/02/2016\n"
    ).encode("utf-8-sig")
    await page.get_by_label("Fichier CSV").set_input_files(
        files=[{"name": "familles.csv", "mimeType": "text/csv", "buffer": csv_text}])
    await page.get_by_role("button", name="Importer").click()
    report = page.locator("section.rapport")
    await expect(report.get_by_role("heading", name="Rapport d'import : familles.csv")).to_be_visible()
    await expect(report).to_contain_text("1 famille(s) créée(s)")
    created = report.locator("tr", has_text=f"GEST-{tag}")
    await expect(created.locator("code")).to_have_text(re.compile(r"\S{8,}"))
    await expect(report.locator(".rejets li")).to_have_text(re.compile(r"^ligne 3 : .*adresse courriel invalide"))
    await page.screenshot(path=str(artifacts / "gestion-import-familles.png"), full_page=True)
    password = (await created.locator("code").text_content()).strip()

    # the same file again: nothing created twice; the password is not shown again
    await page.get_by_label("Fichier CSV").set_input_files(
        files=[{"name": "familles.csv", "mimeType": "text/csv", "buffer": csv_text}])
    await page.get_by_role("button", name="Importer").click()
    await expect(report).to_contain_text("0 famille(s) créée(s)")
    await expect(report).to_contain_text(f"GEST-{tag}")
    assert password not in await page.content()

    # a file that is not the expected export: the service's reason
    await page.get_by_label("Fichier CSV").set_input_files(
        files=[{"name": "autre.csv", "mimeType": "text/csv", "buffer": b"nom;prenom\nA;B\n"}])
    await page.get_by_role("button", name="Importer").click()
    await expect(page.get_by_role("alert")).to_contain_text("identifiant")

    # the imported family can sign in with the password shown once
    other = await open_page()
    await sign_in(other, portal, f"GEST-{tag}", password)
    await expect(other).to_have_url(re.compile(r"/mise-a-jour-securite$"))


async def test_staff_review_a_submitted_sheet_and_refuse_it_with_a_reason(portal, open_page):
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)  # first: the staff password may be renewed here
    admin, staff = await api(portal, ADMIN), await api(portal, STAFF)
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    parent, family = await new_family(portal, staff, children=1)

    async def dossier_ready():
        data = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
        return data if isinstance(data, dict) and data.get("sheets") else None

    famille = find(await eventually(dossier_ready), "famille")
    await upload(parent, famille["id"], "justificatif_qf", PDF, "avis CAF.pdf")
    sent = await parent.call("POST", f"/api/v1/dossier/sheets/{famille['id']}/submit", {"data": FAMILY_DATA})
    assert sent["state"] == "transmise"

    await page.get_by_role("link", name="Dossiers").first.click()
    row = page.locator("tr", has_text=family["identifiant"])
    await expect(row).to_contain_text("Fiche famille")
    await row.get_by_role("link", name="Contrôler").click()
    await expect(page.get_by_role("heading", name=f"Fiche famille — {family['identifiant']}")).to_be_visible()
    sheet = page.locator("dl.fiche")
    await expect(sheet.locator("div", has_text="Quotient familial").locator("dd")).to_have_text("642")
    await expect(sheet.locator("div", has_text="Date de naissance").locator("dd")).to_have_text("02/04/1985")
    await expect(sheet.locator("div", has_text="Commune").locator("dd")).to_have_text("CarteVille")
    link = page.get_by_role("link", name=re.compile("avis CAF.pdf"))
    async with page.expect_download() as download:
        await link.click()
    assert (await download.value).suggested_filename == "avis CAF.pdf"

    # a refusal needs a reason: the family is told what to correct
    await page.get_by_role("button", name="Refuser").click()
    await expect(page.get_by_role("alert")).to_contain_text("Indiquez le motif du refus")
    await page.get_by_label("Motif du refus").fill("Le justificatif de QF date de 2019.")
    await page.get_by_role("button", name="Refuser").click()
    await expect(page.get_by_text("✓ La décision sur la fiche a bien été enregistrée")).to_be_visible()
    await expect(page.locator("tr", has_text=family["identifiant"])).to_have_count(0)
    dossier = await parent.call("GET", "/api/v1/dossier/dossier")
    assert find(dossier, "famille")["state_label"] == "Refusée : à corriger"

    # once decided, the sheet no longer offers a decision
    await page.goto(f"{portal.url}/gestion/dossiers/{famille['id']}")
    await expect(page.get_by_text("Cette fiche n'attend pas de décision")).to_be_visible()
    for client in (admin, staff, parent):
        await client.close()


async def test_admin_runs_the_transmission_and_sees_the_counts(portal, open_page):
    page = await open_page()
    await sign_in_staff(page, portal, ADMIN)
    await page.get_by_role("link", name="Exploitation").first.click()
    await expect(page.get_by_role("heading", name="Courriels en échec")).to_be_visible()
    await page.get_by_role("button", name="Lancer la transmission maintenant").click()
    await expect(page.get_by_role("status")).to_have_text(
        re.compile(r"Transmission effectuée : \d+ famille\(s\), \d+ message\(s\), \d+ ligne\(s\)"))
    # a wrong school year is refused in French, not with an error page
    await page.get_by_label("Année scolaire").fill("2026-2028")
    await page.get_by_role("button", name="Ouvrir la campagne").click()
    await expect(page.get_by_role("alert")).to_contain_text("Format attendu : 2026-2027.")
    # a staff member sees Exploitation with the status of its structure only: nothing to run there
    # (tests/browser/test_campaign_pages.py)
    other = await open_page()
    await sign_in_staff(other, portal, STAFF)
    response = await other.goto(portal.url + "/gestion/exploitation")
    assert response.status == 200
    await expect(other.get_by_role("button", name="Lancer la transmission maintenant")).to_have_count(0)


async def test_a_parent_is_refused_gestion(portal, open_page):
    staff = await api(portal, STAFF)
    parent, family = await new_family(portal, staff, children=1)
    page = await open_page()
    await page.goto(portal.url + "/gestion")
    assert re.search(r"/connexion\?suite=(%2F|/)gestion$", page.url), page.url
    await sign_in(page, portal, family["identifiant"], "Cantine-Mercredi-2027")
    await expect(page.get_by_role("link", name="Gestion")).to_have_count(0)
    response = await page.goto(portal.url + "/gestion")
    assert response.status == 403
    await expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()
    response = await page.goto(portal.url + "/gestion/familles")
    assert response.status == 403
    for client in (staff, parent):
        await client.close()


async def test_staff_edit_the_home_page_news_without_scripts(portal, open_page):
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)
    await page.get_by_role("link", name="Actualités").first.click()
    news = ('<p onclick="alert(1)">Inscriptions ouvertes <strong>le 3 mars</strong></p>'
            '<script>alert("x")</script><a href="javascript:alert(2)">lien</a>')
    await page.get_by_label("Texte", exact=False).fill(news)
    await page.get_by_role("button", name="Publier").click()
    await expect(page.get_by_text("✓ Les actualités ont bien été publiées")).to_be_visible()
    stored = await page.get_by_label("Texte", exact=False).input_value()
    assert stored == '<p>Inscriptions ouvertes <strong>le 3 mars</strong></p><a rel="noopener">lien</a>'
    await page.goto(portal.url + "/")
    await expect(page.locator(".news strong")).to_have_text("le 3 mars")
    html = await page.locator(".news").inner_html()
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html


async def test_staff_set_the_online_payment_backend_and_see_the_transactions(portal, open_page, artifacts):
    """Gestion « Paiement en ligne » (issue 19): the form built from the eopayment module's parameters, a secret
    never shown back, and the online transactions of the structure with their state."""
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)
    await page.get_by_role("link", name="Paiement en ligne").first.click()
    await expect(page.get_by_role("heading", name="Paiement en ligne", exact=True)).to_be_visible()
    await page.get_by_label("Module", exact=True).select_option("systempayv2")
    await page.get_by_role("button", name="Afficher ses paramètres").click()
    await expect(page.get_by_role("heading", name="Paramètres du module systempayv2")).to_be_visible()
    await page.get_by_label("secret_test", exact=False).fill("cle-de-test-tres-secrete")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.get_by_role("alert")).to_contain_text("obligatoire")  # its required parameters are missing
    await page.get_by_label("Module", exact=True).select_option("dummy")
    await page.get_by_role("button", name="Afficher ses paramètres").click()
    await page.get_by_label(re.compile(r"\(origin\)")).fill("Mairie de CarteVille")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.get_by_text("✓ Le module de paiement a bien été enregistré")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Module en service : dummy")
    assert "cle-de-test-tres-secrete" not in await page.content()
    await page.screenshot(path=str(artifacts / "gestion-paiement-en-ligne.png"), full_page=True)
