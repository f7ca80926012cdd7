"""The six journeys a person walks through the portal, end to end in headless Chromium on the real stack
(auth, booking, billing, dossier, notify and the gateway on PostgreSQL and RabbitMQ). Staff data a journey
does not concern is set up through the API. The main screens are saved into docs/screenshots/ for the README.

1. first login: new password, RGPD/CGU, the règlement intérieur signed for two children;
2. a canteen month booked with the quick tools, recap, confirmation, follow-up, transmission and the digest;
3. a time-entry booking with the time picker, a full activity going to the waiting list;
4. last month's consumptions, the ← arrow and the CSV export;
5. a dossier sheet: an upload too big, a good one, refused by staff with a reason, corrected, approved;
6. the main pages on a 375 px phone with the ☰ menu."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from datetime import date
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from services.auth import demo
from tests.browser.test_family_pages import consumptions_for, dossier_ready
from tests.conftest import eventually
from tests.e2e.test_bookings import MONTH, MONTH_END, MONTH_KEY, Api, new_family
from tests.portal import open_activities

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
INITIAL = "Initial-Pass-2026"
NEW = "Goûter-Mercredi-2027"
PASSWORD = "Cantine-Mercredi-2027"  # the one new_family sets
SCHOOL_YEAR = "2026-2027"
RULES = ("min_length", "lower", "upper", "digit", "max_length")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STAFF, ADMIN = "agent.carteville", "admin.portail"
# The demo staff passwords; a first sign-in in a browser renews them (one portal per module).
PASSWORDS = {STAFF: "Demo-Agent-2027", ADMIN: "Demo-Admin-2027"}
RENEWED = {STAFF: "Parcours-Agent-2028", ADMIN: "Parcours-Admin-2028"}
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

expect.set_options(timeout=15_000)


# -- helpers -------------------------------------------------------------------------------------------------
def spoken(d: date) -> str:
    return f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]}"


def euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


async def shot(page: Page, name: str) -> None:
    """A screenshot of what is on screen (not the full page), kept small for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


async def no_horizontal_scroll(page: Page, width: int) -> None:
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url}: horizontal scroll {scroll_width}px > {width}px"


async def sign_in(page: Page, portal, identifiant: str, password: str = PASSWORD) -> None:
    await page.goto(portal.url + "/connexion")
    await page.get_by_label("Votre identifiant").fill(identifiant)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page).not_to_have_url(re.compile(r"/connexion"))


async def expect_rules(page: Page, met: set[str]) -> None:
    for rule in RULES:
        item = page.locator(f"ul[data-regles] li[data-regle={rule}]")
        if rule in met:
            await expect(item).to_have_class(re.compile(r"\brespectee\b"))
        else:
            await expect(item).not_to_have_class(re.compile(r"\brespectee\b"))


async def open_days(parent: Api, child: str, activity: str) -> list[date]:
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": child, "month": MONTH_KEY, "activity_id": activity})
    return [date.fromisoformat(d["date"]) for d in cal["days"] if d["state"] != "closed"]


class Team:
    """Staff and admin through the API; signing them in a browser renews their password, which ends their
    other sessions, so the API clients sign in again afterwards."""

    def __init__(self, portal):
        self.portal = portal
        self.api = {STAFF: Api(portal.url), ADMIN: Api(portal.url)}

    @property
    def staff(self) -> Api:
        return self.api[STAFF]

    @property
    def admin(self) -> Api:
        return self.api[ADMIN]

    async def login(self) -> None:
        for login, client in self.api.items():
            await client.login(login, PASSWORDS[login])

    async def sign_in_browser(self, page: Page, login: str) -> None:
        await page.goto(self.portal.url + "/connexion")
        await page.get_by_label("Votre identifiant").fill(login)
        await page.get_by_label("Mot de passe").fill(PASSWORDS[login])
        await page.get_by_role("button", name="Se connecter").click()
        await page.wait_for_load_state()
        if page.url.endswith("/mise-a-jour-securite"):
            await page.get_by_label("Saisir le nouveau mot de passe").fill(RENEWED[login])
            await page.get_by_label("Confirmez le mot de passe").fill(RENEWED[login])
            await page.get_by_role("button", name="Valider", exact=True).click()
            await expect(page.get_by_role("status")).to_have_text("✓ Le mot de passe a bien été enregistré")
            PASSWORDS[login] = RENEWED[login]
            await self.api[login].login(login, PASSWORDS[login])
        await page.goto(self.portal.url + "/gestion")
        await expect(page.get_by_role("heading", name="Gestion", exact=True)).to_be_visible()

    async def close(self) -> None:
        for client in self.api.values():
            await client.close()


@pytest.fixture(scope="module")
async def team(portal):
    t = Team(portal)
    await t.login()
    await t.admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": SCHOOL_YEAR}, expect=None)
    yield t
    await t.close()


@pytest.fixture(scope="module")
async def activities(portal, team):
    """CarteVille's canteen (Mon, Tue, Thu, Fri), a time-entry morning care and a one-place Wednesday club,
    open for the month two months ahead, with their tariffs."""
    staff = team.staff
    ids, names = await open_activities(portal, staff, (
        ("cantine", "Restauration scolaire", "11:30", "13:30", {}, 280, "session", [0, 1, 3, 4]),
        ("saisie", "Accueil Saisie temps", "07:00", "08:30", {"kind": "time_entry"}, 60, "half_hour", [0, 1, 3, 4]),
        ("mercredi", "ALSH Mercredi", "09:00", "17:00", {"capacity": 1}, 521, "session", [2])), MONTH, MONTH_END, CARTEVILLE)
    return ids, names


# -- 1. first login, consents, règlement intérieur for two children -------------------------------------------
async def test_first_login_consents_and_house_rules_for_two_children(portal, team, open_page):
    identifiant = f"PAR-{uuid.uuid4().hex[:8]}"
    await team.staff.call("POST", "/api/v1/families", {
        "identifiant": identifiant, "responsable": {"first_name": "Alice", "last_name": "DURAND"},
        "emails": [f"{identifiant.lower()}@example.fr"], "structure_id": CARTEVILLE,
        "children": [{"first_name": "Léo", "last_name": "DURAND", "birth_date": "2017-03-01"},
                     {"first_name": "Marina", "last_name": "DURAND", "birth_date": "2018-03-02"}],
        "initial_password": INITIAL}, expect=201)
    page = await open_page(DESKTOP)

    await page.goto(portal.url + "/connexion")
    await expect(page.get_by_role("heading", name="Authentification")).to_be_visible()
    await page.get_by_label("Votre identifiant").fill(identifiant)
    await shot(page, "connexion.png")
    await page.get_by_label("Mot de passe").fill(INITIAL)
    await page.get_by_role("button", name="Se connecter").click()

    # the new password: each rule ticks as the parent types
    await expect(page).to_have_url(re.compile(r"/mise-a-jour-securite$"))
    await expect(page.get_by_role("heading", name="Mise à jour de sécurité : Mon mot de passe")).to_be_visible()
    nouveau = page.get_by_label("Saisir le nouveau mot de passe")
    await expect_rules(page, set())
    await nouveau.press_sequentially("goûter")
    await expect_rules(page, {"lower", "max_length"})
    await nouveau.press_sequentially("-Mercredi")
    await expect_rules(page, {"min_length", "lower", "upper", "max_length"})
    await nouveau.press_sequentially("-2027")
    await expect(nouveau).to_have_value("goûter-Mercredi-2027")
    await expect_rules(page, set(RULES))
    await nouveau.fill(NEW)
    await page.get_by_label("Confirmez le mot de passe").fill(NEW)
    await shot(page, "mot-de-passe.png")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("✓ Le mot de passe a bien été enregistré")
    await page.get_by_role("link", name="✓ J'accède à mon portail Familles").click()

    # RGPD and CGU
    await expect(page).to_have_url(re.compile(r"/consentements$"))
    await expect(page.get_by_role("heading", name="Protection des données personnelles (RGPD)",
                                  exact=False)).to_be_visible()
    await page.get_by_label("J'ai pris connaissance du « RGPD »").check()
    await page.get_by_label("J'ai pris connaissance des « Conditions générales d'utilisation du portail »").check()
    await shot(page, "consentements.png")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("heading", name="Accueil", exact=True)).to_be_visible()
    await expect(page.locator(".bandeau")).to_contain_text("DURAND Alice")
    await shot(page, "accueil.png")

    # the dossier of the open campaign: the règlement intérieur of Léo, then Marina's from Léo's page
    parent = Api(portal.url)
    await parent.login(identifiant, NEW)
    await dossier_ready(parent, 2)
    await parent.close()
    await page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Dossier Famille").click()
    await expect(page.get_by_role("heading", name=f"Dossier Famille — année {SCHOOL_YEAR}")).to_be_visible()
    await expect(page.get_by_role("heading", name="Léo DURAND")).to_be_visible()
    await expect(page.get_by_role("heading", name="Marina DURAND")).to_be_visible()
    await page.get_by_role("link", name="Règlement intérieur — Léo").click()
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    others = page.get_by_role("region", name="Règlement intérieur des autres enfants")
    for child, other in (("Léo", "Marina"), ("Marina", "Léo")):
        await expect(page.get_by_role("heading", name=f"Règlement intérieur — {child}")).to_be_visible()
        await expect(others).to_contain_text(other)
        await page.get_by_label("J'ai pris connaissance du règlement intérieur et j'ai informé mon enfant "
                                "de ce règlement").check()
        await expect(page.get_by_label("Nom du signataire")).to_have_value("DURAND Alice")
        await page.get_by_label("Fait à").fill("CarteVille")
        await page.get_by_label("Le (date)").fill(yesterday)
        await page.get_by_label("À (heure)").fill("08:30")
        await page.get_by_role("button", name="Valider et transmettre la fiche").click()
        await expect(page.locator("[data-etat]")).to_have_text("Transmise, en attente de validation")
        if child == "Léo":
            await others.get_by_role("link", name="Accéder à la fiche de Marina").click()
    await expect(others).to_contain_text("Léo DURAND — Transmise, en attente de validation")

    await page.goto(portal.url + "/dossier")
    await expect(page.locator("main")).to_contain_text("2 fiches transmises sur 11")
    await shot(page, "dossier.png")


# -- 2. a canteen month: quick tools, recap, suivi, transmission, digest ---------------------------------------
async def test_canteen_month_with_quick_tools_recap_follow_up_transmission_and_digest(
        portal, team, activities, open_page):
    ids, names = activities
    parent, family = await new_family(portal, team.staff, children=1)
    leo = family["children"][0]["id"]
    days = await open_days(parent, leo, ids["cantine"])
    mondays = [d for d in days if d.weekday() == 0]
    # a whole week further than the first Monday (the week tool follows its first day: it must be free)
    week_monday = next(m for m in mondays[1:] if m + dt.timedelta(days=4) <= MONTH_END)
    week = [d for d in days if week_monday <= d <= week_monday + dt.timedelta(days=6)]
    removed = next(d for d in week if d.weekday() != 0)
    booked = sorted((set(mondays) | set(week)) - {removed})

    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])
    await page.goto(f"{portal.url}/reservations?mois={MONTH_KEY}&activite={ids['cantine']}")
    await expect(page.get_by_role("heading", name=f"{MONTHS[MONTH.month - 1].capitalize()} {MONTH.year}")
                 ).to_be_visible()
    await expect(page.locator(".compteur")).to_have_text("Aucune demande en cours.")

    # the week arrow (left of the week), then the arrow under "Lun", then one day clicked off
    await page.get_by_role("button", name=f"Réserver ou annuler la semaine du {spoken(week_monday)}").click()
    await expect(page.locator("td.jour.attente-reserve")).to_have_count(len(week))
    await page.get_by_role("button", name="Réserver ou annuler tous les lundis du mois").click()
    await expect(page.locator("td.jour.attente-reserve")).to_have_count(len(booked) + 1)
    await page.get_by_role("button", name=f"Retirer la demande de réservation du {spoken(removed)}").click()
    await expect(page.locator("td.jour.attente-reserve")).to_have_count(len(booked))
    await expect(page.locator(f"td.jour[data-date='{removed.isoformat()}']")).not_to_have_class(
        re.compile(r"\battente-reserve\b"))
    for d in booked:
        await expect(page.locator(f"td.jour[data-date='{d.isoformat()}']")).to_have_class(
            re.compile(r"\battente-reserve\b"))
    await expect(page.locator(".compteur")).to_have_text(f"{len(booked)} demandes en cours, non enregistrées.")
    await shot(page, "reservations.png")

    # the recap: one line a day, the canteen's hours and price
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("heading", name="Récapitulatif des demandes pour DURAND Léo")).to_be_visible()
    table = page.locator("table", has=page.locator("caption", has_text="Vos demandes de réservations"))
    await expect(table.locator("thead th")).to_have_text(["Date", "Activité", "Heure Arrivée", "Heure Départ", "Coût"])
    rows = table.locator("tbody tr")
    await expect(rows).to_have_count(len(booked))
    await expect(rows.filter(has_text="2,80 €")).to_have_count(len(booked))
    await expect(rows.filter(has_text=names["cantine"])).to_have_count(len(booked))
    await expect(rows.first).to_contain_text("11:30")
    await expect(rows.first).to_contain_text("13:30")
    await expect(page.locator("caption", has_text="Vos demandes d'annulations")).to_have_count(0)
    await shot(page, "recapitulatif.png")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("heading", name="Vos demandes ont été traitées")).to_be_visible()
    await expect(page.locator("table.resultat tbody tr", has_text="Acceptée")).to_have_count(len(booked))

    # the follow-up: accepted, not yet transmitted, and the total
    await page.get_by_role("link", name="Suivi des réservations").first.click()
    await expect(page.get_by_role("heading", name="Suivi des réservations")).to_be_visible()
    follow = page.locator("table.suivi tbody tr")
    await expect(follow.filter(has_text="Acceptée, non transmise")).to_have_count(len(booked))
    await expect(page.locator("[data-total]")).to_have_text(euros(280 * len(booked)))
    await shot(page, "suivi.png")

    # the night's transmission and the morning digest, run by the admin from Exploitation
    admin_page = await open_page(DESKTOP)
    await team.sign_in_browser(admin_page, ADMIN)
    await admin_page.get_by_role("link", name="Exploitation").first.click()
    await admin_page.get_by_role("button", name="Lancer la transmission maintenant").click()
    await expect(admin_page.get_by_role("status")).to_have_text(
        re.compile(r"Transmission effectuée : \d+ famille\(s\), \d+ message\(s\), \d+ ligne\(s\)"))
    await shot(admin_page, "gestion.png")
    await page.reload()
    await expect(follow.filter(has_text="non transmise")).to_have_count(0)
    await expect(follow.filter(has_text="Acceptée")).to_have_count(len(booked))

    address = f"{family['identifiant'].lower()}@example.fr"

    async def digest():
        await admin_page.get_by_role("button", name="Envoyer le compte-rendu maintenant").click()
        await admin_page.wait_for_load_state()
        return [m for m in portal.catcher.messages if address in m.to and m.subject.startswith("Compte-rendu")]

    [mail] = await eventually(digest, timeout=30, interval=0.5)
    assert "***** RESERVATIONS ACCEPTEES *****" in mail.text
    assert f"{len(booked)} mouvements sur vos demandes de réservations ont été reçus" in mail.text
    assert f"--> Activité : {names['cantine'].upper()}" in mail.text
    assert "DURAND Léo : " in mail.text
    await parent.close()


# -- 3. hours with the time picker, a full activity and its waiting list ---------------------------------------
async def test_time_entry_with_the_time_picker_and_a_full_activity_on_the_waiting_list(
        portal, team, activities, open_page):
    ids, names = activities
    parent, family = await new_family(portal, team.staff, children=1)
    other, other_family = await new_family(portal, team.staff, children=1)
    leo = family["children"][0]["id"]
    monday = next(d for d in await open_days(parent, leo, ids["saisie"]) if d.weekday() == 0)
    wednesday = (await open_days(parent, leo, ids["mercredi"]))[-1]
    # the only place of that Wednesday goes to another family first
    taken = await other.call("POST", "/api/v1/booking/basket/confirm", {"lines": [{
        "child_id": other_family["children"][0]["id"], "activity_id": ids["mercredi"],
        "date": wednesday.isoformat(), "action": "reserve"}]})
    assert taken["results"][0]["outcome"] == "accepted"

    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])
    await page.goto(f"{portal.url}/reservations?mois={MONTH_KEY}")
    await page.get_by_role("button", name=f"Voir les activités du {spoken(monday)}").click()
    await expect(page.get_by_role("heading", name=f"Léo : Activités disponibles le {spoken(monday)} {monday.year}")
                 ).to_be_visible()
    await page.get_by_role("button", name=f"Réserver : {names['saisie']}").click()
    arrival, departure = page.get_by_label("Arrivée", exact=True), page.get_by_label("Départ", exact=True)
    await expect(arrival).to_have_value("07:00")
    await expect(departure).to_have_value("08:30")
    await page.get_by_role("button", name="Arrivée : heures plus").click()  # stays within 07:00–08:30
    await expect(arrival).to_have_value("08:00")
    for _ in range(6):
        await page.get_by_role("button", name="Arrivée : minutes moins").click()
    await expect(arrival).to_have_value("07:30")
    for _ in range(3):
        await page.get_by_role("button", name="Départ : minutes moins").click()
    await expect(departure).to_have_value("08:15")
    await shot(page, "reservations-jour.png")
    await page.get_by_role("button", name=f"Valider les horaires : {names['saisie']}").click()
    row = page.locator(f"tr[data-activite='{names['saisie']}']")
    await expect(row).to_contain_text("07:30")
    await expect(row).to_contain_text("08:15")
    await expect(row).to_contain_text("À réserver")

    # the full Wednesday: still offered, but only on the waiting list
    await page.get_by_role("button", name="Retour", exact=True).click()
    await page.get_by_label("Activité", exact=True).select_option(ids["mercredi"])  # JS shows it at once
    cell = page.locator(f"td.jour[data-date='{wednesday.isoformat()}']")
    await expect(cell).to_have_attribute("data-etat", "waitlist_only")
    await page.get_by_role("button", name=f"Réserver le {spoken(wednesday)}").click()
    await expect(cell).to_have_class(re.compile(r"\battente-reserve\b"))
    await expect(page.locator(".compteur")).to_have_text("2 demandes en cours, non enregistrées.")

    await page.get_by_role("button", name="Valider", exact=True).click()
    recap = page.locator("table", has=page.locator("caption", has_text="Vos demandes de réservations")).locator(
        "tbody tr")
    await expect(recap).to_have_count(2)
    hours = recap.filter(has_text=names["saisie"])
    await expect(hours).to_contain_text("07:30")
    await expect(hours).to_contain_text("08:15")
    await expect(recap.filter(has_text=names["mercredi"])).to_contain_text("5,21 €")
    await page.get_by_role("button", name="Valider", exact=True).click()
    results = page.locator("table.resultat tbody tr")
    await expect(results.filter(has_text=names["saisie"])).to_contain_text("Acceptée")
    await expect(results.filter(has_text=names["mercredi"])).to_contain_text("En liste d'attente (position 1)")

    await page.get_by_role("link", name="Suivi des réservations").first.click()
    follow = page.locator("table.suivi tbody tr")
    await expect(follow.filter(has_text=names["mercredi"])).to_contain_text("En liste d'attente")
    await expect(follow.filter(has_text=names["saisie"])).to_contain_text("Acceptée, non transmise")
    for api in (parent, other):
        await api.close()


# -- 4. last month's consumptions and their CSV export ---------------------------------------------------------
async def test_previous_month_consumptions_and_csv_export(portal, amqp_url, team, open_page):
    parent, family = await new_family(portal, team.staff, children=3)
    prev_key, _ = await consumptions_for(portal, amqp_url, team.staff, parent, family)
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])

    await page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Consommations").click()
    await expect(page.get_by_role("heading", name="Historique des Consommations")).to_be_visible()
    table = page.locator("table.conso-table")
    await expect(table.locator("tbody tr")).to_have_count(3)
    await page.get_by_role("link", name="Mois précédent").click()  # ←
    await expect(page).to_have_url(re.compile(rf"mois={prev_key}"))
    await expect(table.locator("tbody tr")).to_have_count(12)
    await expect(table.locator("tbody tr").filter(has_text="REPAS SCOLAIRE")).to_have_count(12)
    await expect(page.locator("[data-total]")).to_have_text("TOTAL(€) 38,20")
    await shot(page, "consommations.png")

    await page.locator("summary", has_text="Exporter").click()
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Exporter en CSV (tableur)").click()
    download = await info.value
    assert download.suggested_filename == f"consommations-{prev_key}.csv"
    raw = Path(await download.path()).read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Date", "Nom", "Prénom", "Activité", "Prix (€)", "Qté", "Total (€)"]
    lines = rows[1:-1]
    assert len(lines) == 12
    assert {line[3] for line in lines} == {"REPAS SCOLAIRE"}
    assert {line[2] for line in lines} == {"Léo", "Marina", "Zoé"}
    assert rows[-1][-1] == "38,20"
    await parent.close()


# -- 5. a dossier sheet: uploads, refusal with a reason, correction, approval ----------------------------------
async def fill_family_sheet(page: Page, quotient: str) -> None:
    for label, value in (("Date de naissance", "1985-04-02"), ("Code postal", "33340"), ("Commune", "CarteVille"),
                         ("Téléphone portable", "06 12 34 56 78"), ("Adresse e-mail", "famille@example.fr"),
                         ("Numéro d'allocataire", "1234567")):
        await page.get_by_label(label).fill(value)
    await page.get_by_label("Adresse", exact=True).fill("3 rue des Écoles")
    await page.get_by_label("Quotient familial", exact=True).fill(quotient)
    await page.get_by_label("Régime allocataire : CAF, MSA ou autre régime").select_option("CAF")


async def send_piece(page: Page, name: str, content: bytes) -> None:
    piece = page.locator("[data-piece=justificatif_qf]")
    await piece.locator("input[type=file]").set_input_files({"name": name, "mimeType": "application/pdf",
                                                             "buffer": content})
    await piece.get_by_role("button", name=re.compile("Envoyer le fichier")).click()


async def test_dossier_sheet_refused_with_a_reason_corrected_and_approved(portal, team, open_page):
    parent, family = await new_family(portal, team.staff, children=1)
    await dossier_ready(parent, 1)
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])
    await page.goto(portal.url + "/dossier")
    await page.locator("[data-fiche=famille]").get_by_role("link", name="Fiche famille").click()
    await expect(page.get_by_role("heading", name="Fiche famille")).to_be_visible()

    # a scan too big is refused with its size; a proper one is kept
    await expect(page.locator("[data-limites]")).to_have_text(
        "4 fichiers au plus, 2000 Ko maximum chacun, PDF, JPEG ou PNG")
    # (the browser tells it before sending, the form stays unsent; the server checks again)
    await send_piece(page, "scan-enorme.pdf", PDF + b"0" * (2100 * 1024))
    upload = page.locator("[data-piece=justificatif_qf] input[type=file]")
    assert await upload.evaluate("input => input.validationMessage") == (
        "Le fichier dépasse 2000 Ko (taille : 2101 Ko).")
    await expect(page.locator("[data-piece=justificatif_qf]")).not_to_contain_text("scan-enorme.pdf")
    await send_piece(page, "avis-caf.pdf", PDF)
    await expect(page.get_by_role("status")).to_contain_text("Le fichier a été ajouté")
    await expect(page.locator("[data-piece=justificatif_qf] .fichiers")).to_contain_text("avis-caf.pdf")
    await fill_family_sheet(page, "642")
    await page.get_by_role("button", name="Valider et transmettre la fiche").click()
    await expect(page.locator("[data-etat]")).to_have_text("Transmise, en attente de validation")

    # staff refuse it with a reason
    staff_page = await open_page(DESKTOP)
    await team.sign_in_browser(staff_page, STAFF)

    async def review() -> None:
        await staff_page.goto(portal.url + "/gestion")
        await staff_page.get_by_role("link", name="Dossiers").first.click()
        await staff_page.locator("tr", has_text=family["identifiant"]).get_by_role("link", name="Contrôler").click()
        await expect(staff_page.get_by_role("heading", name=f"Fiche famille — {family['identifiant']}")
                     ).to_be_visible()

    await review()
    await expect(staff_page.locator("dl.fiche div", has_text="Quotient familial").locator("dd")).to_have_text("642")
    await staff_page.get_by_label("Motif du refus").fill("Le justificatif de QF date de 2019.")
    await shot(staff_page, "gestion-dossier.png")
    await staff_page.get_by_role("button", name="Refuser").click()
    await expect(staff_page.get_by_text("✓ La décision sur la fiche a bien été enregistrée")).to_be_visible()

    # the parent reads the reason, corrects and sends again
    await page.goto(portal.url + "/dossier")
    famille = page.locator("[data-fiche=famille]")
    await expect(famille).to_contain_text("Refusée : à corriger")
    await expect(famille).to_contain_text("Motif du refus : Le justificatif de QF date de 2019.")
    await famille.get_by_role("link", name="Fiche famille").click()
    await expect(page.get_by_role("alert")).to_contain_text("Motif : Le justificatif de QF date de 2019.")
    await shot(page, "fiche.png")
    await send_piece(page, "avis-caf-2026.pdf", PDF)
    await expect(page.locator("[data-piece=justificatif_qf] .fichiers")).to_contain_text("avis-caf-2026.pdf")
    await expect(page.get_by_label("Quotient familial", exact=True)).to_have_value("642")  # kept from before
    await page.get_by_label("Quotient familial", exact=True).fill("655")
    await page.get_by_role("button", name="Valider et transmettre la fiche").click()
    await expect(page.locator("[data-etat]")).to_have_text("Transmise, en attente de validation")

    # staff approve; the parent sees "Validée"
    await review()
    await expect(staff_page.locator("dl.fiche div", has_text="Quotient familial").locator("dd")).to_have_text("655")
    await staff_page.get_by_role("button", name="Valider", exact=True).click()
    await expect(staff_page.get_by_text("✓ La décision sur la fiche a bien été enregistrée")).to_be_visible()
    await page.goto(portal.url + "/dossier")
    await expect(famille).to_contain_text("Validée")
    await expect(famille).not_to_contain_text("Motif du refus")
    await parent.close()


# -- 6. on a phone -------------------------------------------------------------------------------------------------
async def test_main_pages_on_a_phone_with_the_menu(portal, team, open_page):
    parent, family = await new_family(portal, team.staff, children=1)
    page = await open_page(PHONE, is_mobile=True, has_touch=True)
    await sign_in(page, portal, family["identifiant"])
    await expect(page.get_by_role("heading", name="Accueil", exact=True)).to_be_visible()
    await shot(page, "telephone-accueil.png")

    menu, button = page.locator("#menu"), page.get_by_role("button", name="Menu")
    await expect(button).to_have_text("☰")
    await expect(menu).to_be_hidden()
    await button.tap()
    await expect(menu).to_be_visible()
    await expect(button).to_have_attribute("aria-expanded", "true")
    await shot(page, "telephone-menu.png")

    for link, heading in (("Réservations", "Réservations"), ("Consommations", "Consommations"),
                          ("Dossier Famille", f"Dossier Famille — année {SCHOOL_YEAR}"),
                          ("Profil", "Profil utilisateur")):
        if not await menu.is_visible():
            await button.tap()
        await menu.get_by_role("link", name=link).tap()
        await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        await expect(menu).to_be_hidden()
        await no_horizontal_scroll(page, PHONE["width"])
        if link == "Réservations":
            await shot(page, "telephone-reservations.png")
    await page.goto(portal.url + "/reservations/suivi")
    await expect(page.get_by_role("heading", name="Suivi des réservations")).to_be_visible()
    await no_horizontal_scroll(page, PHONE["width"])
    await parent.close()
