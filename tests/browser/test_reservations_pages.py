"""The Réservations pages as a parent uses them: headless Chromium on a desktop and a phone against the real
auth, booking and billing services behind the gateway. Staff open activities two months ahead; a family
books a month with the quick tool, confirms through the recap, cancels two days, follows up, books a
time-entry activity from the day view and copies to a second child."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date

import aiohttp
import pytest
from playwright.async_api import Page, expect

from tests.browser.test_journeys import shot
from tests.e2e.test_bookings import CARTEVILLE, MONTH, MONTH_END, MONTH_KEY, Api, new_family
from tests.portal import open_activities

PASSWORD = "Cantine-Mercredi-2027"  # new_family renews the initial password to this one
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")

expect.set_options(timeout=15_000)


def spoken(d: date) -> str:
    return f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]}"


def written(d: date) -> str:
    """As the copy page writes a day: « Jeudi 4 Février 2027 »."""
    return f"{WEEKDAYS[d.weekday()].capitalize()} {d.day} {MONTHS[d.month - 1].capitalize()} {d.year}"


@pytest.fixture(scope="module")
async def activities(portal):
    """Staff of CarteVille open a canteen, a morning club and a time-entry morning care for the month."""
    staff = Api(portal.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    ids, names = await open_activities(portal, staff, (
        ("cantine", "Restauration scolaire", "11:30", "13:30", {}, 280, "session", [0, 1, 3, 4]),
        ("aps", "APS Matin", "07:15", "08:15", {}, 112, "session", [0, 1]),
        ("saisie", "Accueil Saisie temps", "07:00", "08:30", {"kind": "time_entry"}, 60, "half_hour", [0, 1, 3, 4])), MONTH, MONTH_END, CARTEVILLE)
    yield staff, ids, names
    await staff.close()


async def sign_in(page: Page, portal, identifiant: str) -> None:
    await page.goto(portal.url + "/connexion")
    await page.get_by_label("Votre identifiant").fill(identifiant)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page).not_to_have_url(re.compile(r"/connexion"))


def open_days(days: list[str], weekdays: tuple[int, ...]) -> list[date]:
    return [date.fromisoformat(d) for d in days if date.fromisoformat(d).weekday() in weekdays]


async def canteen_days(parent: Api, child: str, activity: str) -> list[str]:
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": child, "month": MONTH_KEY, "activity_id": activity})
    return [d["date"] for d in cal["days"] if d["state"] != "closed"]


async def no_horizontal_scroll(page: Page, width: int) -> None:
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"horizontal scroll: {scroll_width}px > {width}px"


# -- desktop: a month, recap, confirm, cancel two days, follow-up, calendar feed ----------------------------
async def test_month_tool_recap_confirm_cancel_and_follow_up_on_a_desktop(portal, activities, open_page, artifacts):
    staff, ids, _names = activities
    parent, family = await new_family(portal, staff, children=1)
    leo = family["children"][0]["id"]
    days = await canteen_days(parent, leo, ids["cantine"])
    assert len(days) >= 8
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])

    await page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Réservations").click()
    await expect(page.get_by_role("heading", name="Réservations", exact=True)).to_be_visible()
    await page.goto(f"{portal.url}/reservations?mois={MONTH_KEY}")
    await page.get_by_label("Activité", exact=True).select_option(ids["cantine"])  # JS shows the calendar at once
    await expect(page.locator(f"td.jour[data-date='{days[0]}'] button")).to_have_attribute(
        "aria-label", f"Réserver le {spoken(date.fromisoformat(days[0]))}")
    legend = page.locator(".legende")
    for text in ("Activité complète", "Activité disponible", "Activité disponible uniquement en liste d'attente",
                 "Activité réservée, modifiable", "Demande de réservation à valider (orange)"):
        await expect(legend).to_contain_text(text)

    # the whole month with the month tool: every open day turns orange, nothing is recorded
    await page.get_by_role("button", name="Réserver ou annuler tout le mois").click()
    pending = page.locator("td.jour.attente-reserve")
    await expect(pending).to_have_count(len(days))
    for d in days:
        await expect(page.locator(f"td.jour[data-date='{d}']")).to_have_class(re.compile(r"\battente-reserve\b"))
    await expect(page.locator(".compteur")).to_have_text(f"{len(days)} demandes en cours, non enregistrées.")
    assert (await parent.call("GET", "/api/v1/booking/follow-up"))["lines"] == []
    orange = await page.locator(f"td.jour[data-date='{days[0]}']").evaluate("e => getComputedStyle(e).backgroundColor")
    assert orange == "rgb(245, 165, 36)", orange

    # the recap, then the confirmation
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("heading", name="Récapitulatif des demandes pour DURAND Léo")).to_be_visible()
    table = page.locator("table", has=page.locator("caption", has_text="Vos demandes de réservations"))
    await expect(table.locator("tbody tr")).to_have_count(len(days))
    await expect(table.locator("tbody tr").first).to_contain_text("11:30")
    await expect(table.locator("tbody tr").first).to_contain_text("2,80 €")
    await expect(page.locator("main")).to_contain_text(
        "IMPORTANT : tant que vous n'avez pas cliqué sur le bouton « Valider » vos réservations ne sont pas prises en compte.")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("heading", name="Vos demandes ont été traitées")).to_be_visible()
    await expect(page.locator("table.resultat tbody tr")).to_have_count(len(days))
    await expect(page.locator("table.resultat tbody tr", has_text="Acceptée")).to_have_count(len(days))
    await expect(page.locator("main")).to_contain_text("compte-rendu")

    # back on the calendar the days are booked (📅)
    await page.get_by_role("link", name="Retour au calendrier").click()
    for d in days:
        cell = page.locator(f"td.jour[data-date='{d}']")
        await expect(cell).to_have_attribute("data-etat", "booked")
        await expect(cell.locator(".symbole")).to_have_text("📅")

    # two days cancelled: they turn green, then the recap lists the two cancellations
    first, second = date.fromisoformat(days[1]), date.fromisoformat(days[2])
    for d in (first, second):
        await page.get_by_role("button", name=f"Annuler la réservation du {spoken(d)}").click()
        await expect(page.locator(f"td.jour[data-date='{d.isoformat()}']")).to_have_class(
            re.compile(r"\battente-cancel\b"))
        # the focus is back on the day just clicked (keyboard users go on from there)
        await expect(page.locator(f"td.jour[data-date='{d.isoformat()}'] button")).to_be_focused()
    await expect(page.locator("td.jour.attente-cancel")).to_have_count(2)
    await page.get_by_role("button", name="Valider", exact=True).click()
    cancellations = page.locator("table", has=page.locator("caption", has_text="Vos demandes d'annulations"))
    await expect(cancellations.locator("tbody tr")).to_have_count(2)
    await expect(page.locator("caption", has_text="Vos demandes de réservations")).to_have_count(0)
    await page.screenshot(path=str(artifacts / "reservations-recapitulatif-bureau.png"), full_page=True)
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.locator("table.resultat tbody tr", has_text="Annulée")).to_have_count(2)

    # the follow-up: accepted, not yet transmitted, and the total
    await page.get_by_role("link", name="Suivi des réservations").first.click()
    await expect(page.get_by_role("heading", name="Suivi des réservations")).to_be_visible()
    rows = page.locator("table.suivi tbody tr")
    await expect(rows.filter(has_text="Acceptée, non transmise")).to_have_count(len(days) - 2)
    await expect(rows.filter(has_text="Annulée, non transmise")).to_have_count(2)
    total = 280 * (len(days) - 2)
    await expect(page.locator("[data-total]")).to_have_text(f"{total // 100},{total % 100:02d}")
    await expect(page.locator("main")).to_contain_text("* Le coût peut évoluer en fonction de la date de révision des tarifs.")
    await expect(page.locator("main")).to_contain_text("TOTAL des réservations acceptées (€)")
    # only the refused: none
    for box in ("Acceptées", "Transmise", "Non transmise", "En attente réponse", "En liste d'attente"):
        await page.get_by_label(box, exact=True).uncheck()
    await page.get_by_role("button", name="Afficher").click()
    await expect(page.locator("table.suivi")).to_have_count(0)
    await expect(page.locator("main")).to_contain_text("Aucune réservation ne correspond à votre sélection.")
    await expect(page.get_by_label("Refusées", exact=True)).to_be_checked()
    await expect(page.get_by_label("Acceptées", exact=True)).not_to_be_checked()

    # the private calendar link: created, works, revoked
    await page.get_by_role("button", name="Créer (ou renouveler) mon lien privé").click()
    link = page.get_by_label("Votre lien privé")
    await expect(link).to_have_value(re.compile(r"/calendrier/[A-Za-z0-9_-]+\.ics$"))
    path = re.search(r"/calendrier/[A-Za-z0-9_-]+\.ics$", await link.input_value()).group(0)
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(portal.url + path) as resp:
            assert resp.status == 200 and resp.content_type == "text/calendar"
            assert "BEGIN:VEVENT" in await resp.text()
        await page.get_by_role("button", name="Supprimer mon lien privé").click()
        await expect(page.get_by_role("status")).to_contain_text("supprimé")
        async with anonymous.get(portal.url + path) as resp:
            assert resp.status == 404
    await page.screenshot(path=str(artifacts / "reservations-suivi-bureau.png"), full_page=True)
    await parent.close()


# -- phone: day view with hours, then a copy to the second child ---------------------------------------------
async def test_day_view_hours_and_copy_to_a_second_child_on_a_phone(portal, activities, open_page, artifacts):
    staff, ids, names = activities
    parent, family = await new_family(portal, staff, children=2)
    leo, marina = family["children"][0]["id"], family["children"][1]["id"]
    days = await canteen_days(parent, leo, ids["cantine"])
    monday = open_days(days, (0,))[0]
    page = await open_page(PHONE, is_mobile=True, has_touch=True)
    await sign_in(page, portal, family["identifiant"])

    await page.goto(f"{portal.url}/reservations?mois={MONTH_KEY}")
    await expect(page.get_by_label("Activité", exact=True)).to_have_value("")  # "Toutes les activités"
    await no_horizontal_scroll(page, PHONE["width"])
    await page.screenshot(path=str(artifacts / "reservations-calendrier-telephone.png"), full_page=True)

    # the day view
    await page.get_by_role("button", name=f"Voir les activités du {spoken(monday)}").click()
    await expect(page.get_by_role("heading", name=f"Léo : Activités disponibles le {spoken(monday)} {monday.year}")
                 ).to_be_visible()
    for header in ("Activité", "Heure Arrivée", "Heure Départ", "Dispo", "Tarif", "Etat"):
        await expect(page.get_by_role("columnheader", name=header, exact=True)).to_be_visible()
    aps = page.locator("tr", has=page.get_by_role("button", name=f"Réserver : {names['aps']}"))
    await expect(aps).to_contain_text("07:15")
    await expect(aps).to_contain_text("1,12 €")
    # the time-entry activity: hours chosen with the − / + buttons
    await page.get_by_role("button", name=f"Réserver : {names['saisie']}").click()
    arrival, departure = page.get_by_label("Arrivée", exact=True), page.get_by_label("Départ", exact=True)
    await expect(arrival).to_be_visible()
    await expect(arrival).to_have_value("07:00")
    for _ in range(7):
        await page.get_by_role("button", name="Arrivée : minutes plus").tap()
    await expect(arrival).to_have_value("07:35")
    await page.get_by_role("button", name="Départ : heures plus").tap()  # stays within the activity's hours
    await expect(departure).to_have_value("08:30")
    for _ in range(4):
        await page.get_by_role("button", name="Départ : minutes moins").tap()
    await expect(departure).to_have_value("08:10")
    await no_horizontal_scroll(page, PHONE["width"])
    await page.screenshot(path=str(artifacts / "reservations-jour-telephone.png"), full_page=True)
    await page.get_by_role("button", name=f"Valider les horaires : {names['saisie']}").tap()
    saisie = page.locator(f"tr[data-activite='{names['saisie']}']")
    await expect(saisie).to_have_class(re.compile(r"\battente-reserve\b"))
    await expect(saisie).to_contain_text("07:35")
    await expect(saisie).to_contain_text("08:10")
    await expect(saisie).to_contain_text("À réserver")
    await page.get_by_role("button", name="Valider", exact=True).tap()
    recap = page.locator("table", has=page.locator("caption", has_text="Vos demandes de réservations"))
    await expect(recap.locator("tbody tr")).to_have_count(1)
    await expect(recap.locator("tbody tr")).to_contain_text("07:35")
    await expect(recap.locator("tbody tr")).to_contain_text("08:10")
    await no_horizontal_scroll(page, PHONE["width"])
    await page.get_by_role("button", name="Valider", exact=True).tap()
    await expect(page.locator("table.resultat tbody tr")).to_have_text(re.compile("Acceptée"))
    follow = await parent.call("GET", "/api/v1/booking/follow-up")
    assert [(line["arrival"], line["departure"]) for line in follow["lines"]] == [("07:35", "08:10")]

    # the follow-up on a phone: stacked rows, every column with its name, nothing clipped
    await page.goto(f"{portal.url}/reservations/suivi")
    row = page.locator("table.suivi tbody tr").first
    for label, cell in (("Date", 0), ("Activité", 1), ("Personne", 2), ("Heure Arr", 3), ("Heure Dép", 4),
                        ("Coût*", 5), ("État", 6)):
        td = row.locator("td").nth(cell)
        await expect(td).to_be_visible()
        assert await td.evaluate("td => getComputedStyle(td, '::before').content") == f'"{label} : "'
        box = await td.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (label, box)
    await expect(row).to_contain_text("07:35")
    await expect(row).to_contain_text("Acceptée")
    await no_horizontal_scroll(page, PHONE["width"])
    await page.locator("table.suivi").scroll_into_view_if_needed()
    await shot(page, "telephone-suivi.png")  # for the README

    # Léo's canteen month, copied to Marina's morning club: Thursdays and Fridays cannot be imported
    await page.goto(f"{portal.url}/reservations?mois={MONTH_KEY}&activite={ids['cantine']}")
    await page.get_by_role("button", name="Réserver ou annuler tout le mois").tap()
    await expect(page.locator("td.jour.attente-reserve")).to_have_count(len(days))
    await no_horizontal_scroll(page, PHONE["width"])
    await page.screenshot(path=str(artifacts / "reservations-mois-telephone.png"), full_page=True)
    await page.get_by_role("button", name="Recopier").tap()
    await expect(page.get_by_role("heading", name="Recopier des réservations")).to_be_visible()
    await expect(page.locator("#source_activite")).to_have_value(ids["cantine"])
    await page.locator("#cible_enfant").select_option(marina)
    await page.locator("#cible_activite").select_option(label=f"{names['aps']} (Marina)")
    await expect(page.get_by_label("Du", exact=True)).to_have_value(MONTH.isoformat())
    await page.get_by_role("button", name="Recopier").tap()
    await expect(page.get_by_role("heading", name=f"Importer sur Marina pour l'activité {names['aps']}")
                 ).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Liste des réservations non importées :")
    not_imported = page.locator("ul.non-importees li")
    thursdays_fridays = open_days(days, (3, 4))
    await expect(not_imported).to_have_count(len(thursdays_fridays))
    # every Thursday and Friday in date order, spelt out in full (the month's name may carry an accent)
    await expect(not_imported).to_have_text([f"{written(d)} : activité non ouverte ce jour" for d in thursdays_fridays])
    await no_horizontal_scroll(page, PHONE["width"])
    await page.screenshot(path=str(artifacts / "reservations-recopie-telephone.png"), full_page=True)
    await page.get_by_role("button", name="Retour au calendrier").tap()
    await expect(page.get_by_label("Enfant", exact=True)).to_have_value(marina)
    await expect(page.get_by_label("Activité", exact=True)).to_have_value(ids["aps"])
    await expect(page.locator("td.jour.attente-reserve")).to_have_count(len(open_days(days, (0, 1))))
    # the basket still holds Léo's month too: the recap lists both children
    await page.get_by_role("button", name="Valider", exact=True).tap()
    await expect(page.get_by_role("heading", name="Récapitulatif des demandes pour DURAND Léo")).to_be_visible()
    await expect(page.get_by_role("heading", name="Récapitulatif des demandes pour DURAND Marina")).to_be_visible()
    # "Abandonner" drops everything
    await page.get_by_role("button", name="Abandonner").tap()
    await expect(page.locator(".compteur")).to_have_text("Aucune demande en cours.")
    await expect(page.locator("td.jour.attente-reserve")).to_have_count(0)
    await parent.close()


# -- without JavaScript, and bad input ---------------------------------------------------------------------
async def test_works_without_javascript_and_bad_input_gets_a_french_page(portal, activities, open_page):
    staff, ids, _names = activities
    parent, family = await new_family(portal, staff, children=1)
    leo = family["children"][0]["id"]
    days = await canteen_days(parent, leo, ids["cantine"])
    page = await open_page(DESKTOP, java_script_enabled=False)
    await sign_in(page, portal, family["identifiant"])
    await page.goto(f"{portal.url}/reservations?mois={MONTH_KEY}")
    await page.get_by_label("Activité", exact=True).select_option(ids["cantine"])
    await page.get_by_role("button", name="Afficher").click()
    day = date.fromisoformat(days[0])
    await page.get_by_role("button", name=f"Réserver le {spoken(day)}").click()
    await expect(page.locator(f"td.jour[data-date='{days[0]}']")).to_have_class(re.compile(r"\battente-reserve\b"))
    # the same button now takes the click back
    await page.get_by_role("button", name=f"Retirer la demande de réservation du {spoken(day)}").click()
    await expect(page.locator("td.jour.attente-reserve")).to_have_count(0)
    # the month arrows keep the activity
    await page.get_by_role("button", name="Mois suivant").click()
    await expect(page.get_by_label("Activité", exact=True)).to_have_value(ids["cantine"])

    for path, status, text in ((f"/reservations?mois={MONTH.year}-13", 400, "Mois invalide"),
                               (f"/reservations?enfant={uuid.uuid4()}", 404, "Enfant introuvable"),
                               ("/reservations?enfant=pas-un-enfant", 404, "Enfant introuvable"),
                               (f"/reservations?activite={uuid.uuid4()}", 404, "Activité introuvable"),
                               ("/reservations/suivi?du=hier", 400, "Date invalide")):
        response = await page.goto(portal.url + path)
        assert response.status == status, (path, response.status)
        await expect(page.locator("main h1")).to_have_text(text)

    # a tampered basket is refused with a French page, never a 500
    csrf = await page.locator("input[name=csrf]").first.input_value()
    line = {"child_id": leo, "activity_id": ids["cantine"], "date": days[0], "action": "reserve"}
    for panier in ("{pas du json", json.dumps([{**line, "action": "tout"}]), json.dumps([line] * 401),
                   json.dumps([{**line, "date": "2026-02-30"}])):
        response = await page.request.post(portal.url + "/reservations/recapitulatif",
                                           form={"csrf": csrf, "panier": panier})
        assert response.status == 400, (panier[:40], response.status)
        assert "Demandes invalides" in await response.text()
    # another family's child in the basket: not found
    response = await page.request.post(portal.url + "/reservations/recapitulatif",
                                       form={"csrf": csrf, "panier": json.dumps([{**line, "child_id": str(uuid.uuid4())}])})
    assert response.status == 404
    await parent.close()
