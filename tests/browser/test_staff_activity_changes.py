"""Issue 16 in headless Chromium against the real services, from /gestion alone (no identifier typed):
staff enrol a class by pasting its names and unenrol one child; change an activity's places over a range
of days, read the preview (bookings already accepted beyond the new number are kept) and confirm; the
activity's page shows the tariff in force and its history. Screens saved into docs/screenshots/."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from playwright.async_api import expect

from tests.browser.test_staff_pages import STAFF, api, sign_in_staff
from tests.e2e.test_activity_changes import CARTEVILLE, book, class_world

DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

expect.set_options(timeout=15_000)


async def test_staff_enrol_a_class_from_its_names_and_unenrol_one_child(portal, open_page):
    staff, admin = await api(portal, STAFF), await api(portal, "admin.portail")
    w = await class_world(portal, staff, admin)
    page = await open_page(DESKTOP)
    await sign_in_staff(page, portal, STAFF)
    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Inscriptions").click()
    await expect(page.get_by_role("heading", name="Inscriptions aux activités", level=1)).to_be_visible()
    await page.get_by_label("Activité").select_option(label=w["name"])
    await page.get_by_role("button", name="Afficher").click()
    await expect(page.get_by_text("Aucun enfant n'est encore inscrit à cette activité.")).to_be_visible()

    last = w["last"]
    await page.get_by_label("Liste des enfants").fill(f"{last.upper()} Léo\nMarina {last}\nZoé {last}\nLou Inconnue")
    await page.get_by_role("button", name="Reconnaître les enfants de la liste").click()
    recognised = page.locator('table[data-liste="reconnue"]')
    await expect(recognised.locator("caption")).to_have_text("Liste reconnue : 3 enfants reconnus sur 4 lignes")
    await expect(recognised.locator('tr[data-statut="unknown"]')).to_contain_text("Lou Inconnue")
    await expect(page.get_by_label(f"Inscrire Léo {last}")).to_be_checked()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.get_by_role("heading", name="Inscrire une classe").scroll_into_view_if_needed()
    await page.evaluate("window.scrollBy(0, 260)")
    await page.screenshot(path=str(SCREENSHOTS / "gestion-inscriptions.png"), full_page=False)
    await page.get_by_role("button", name="Inscrire les enfants cochés").click()
    await expect(page.get_by_text("✓ Les inscriptions ont bien été enregistrées")).to_be_visible()
    await expect(page.get_by_role("heading", name="Enfants inscrits (3)")).to_be_visible()

    enrolled = page.locator('table[data-liste="inscrits"]')
    await enrolled.get_by_role("button", name=f"Désinscrire Zoé {last}").click()
    await expect(page.get_by_text("✓ L'enfant a bien été désinscrit")).to_be_visible()
    await expect(page.get_by_role("heading", name="Enfants inscrits (2)")).to_be_visible()
    await expect(enrolled).not_to_contain_text("Zoé")
    # Zoé is back in the one-child list, chosen by name; booking refuses her reservation meanwhile
    await expect(page.get_by_label("Enfant (familles de la structure, par nom)")).to_contain_text(f"{last} Zoé")
    refused = await book(w["parent"], w["children"]["Zoé"], w["activity"], w["days"][:1])
    assert refused[0]["outcome"] == "rejected"
    for client in (staff, admin, w["parent"]):
        await client.close()


async def test_staff_change_the_places_of_a_range_with_a_preview_and_read_the_tariffs(portal, open_page):
    staff, admin = await api(portal, STAFF), await api(portal, "admin.portail")
    w = await class_world(portal, staff, admin)
    kids, days = w["children"], w["days"]
    await staff.call("POST", "/api/v1/booking/enrolments", {"child_id": kids["Léo"], "activity_id": w["activity"]},
                     expect=204)
    await staff.call("POST", "/api/v1/booking/enrolments", {"child_id": kids["Zoé"], "activity_id": w["activity"]},
                     expect=204)
    over = days[:3]
    for child in ("Léo", "Zoé"):
        assert {r["outcome"] for r in await book(w["parent"], kids[child], w["activity"], over)} == {"accepted"}
    today = date.today()
    for effective, price in ((today - timedelta(days=30), 180), (today + timedelta(days=60), 210)):
        await admin.call("POST", "/api/v1/billing/tariffs", {
            "structure_id": CARTEVILLE, "activity_id": w["activity"], "activity_name": w["name"],
            "effective_from": effective.isoformat(), "brackets": [{"qf_max": 700, "price_cents": price},
                                                                 {"price_cents": price + 100}]}, expect=201)

    page = await open_page(DESKTOP)
    await sign_in_staff(page, portal, STAFF)
    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Activités").click()
    await page.get_by_role("link", name=w["name"]).click()
    await expect(page.get_by_role("heading", name=w["name"], level=1)).to_be_visible()
    # the tariff in force and its history
    await expect(page.locator('[data-tarif="en-vigueur"]')).to_have_text(
        f"Tarif en vigueur depuis le {(today - timedelta(days=30)).strftime('%d/%m/%Y')}, par séance.")
    history = page.locator('table[data-tarif="historique"]')
    await expect(history.locator('tr[data-etat="upcoming"]')).to_contain_text("À venir")
    await expect(history.locator('tr[data-etat="in_force"]')).to_contain_text("QF jusqu'à 700 : 1,80")

    await page.get_by_role("link", name="Modifier l'activité").click()
    await expect(page.get_by_role("heading", name=f"Modifier l'activité {w['name']}")).to_be_visible()
    await page.get_by_label("Du", exact=True).fill(over[0])
    await page.get_by_label("Au", exact=True).fill(days[4])
    await page.get_by_label("Nombre de places", exact=True).fill("1")
    await page.get_by_role("button", name="Voir l'effet").first.click()
    preview = page.get_by_role("status").filter(has_text="Effet de la modification")
    await expect(preview).to_contain_text(
        "3 jours ont déjà plus de réservations acceptées que la nouvelle capacité : elles sont conservées, "
        "plus aucune nouvelle réservation ne sera acceptée ces jours-là.")
    await expect(preview).to_contain_text("5 jours changent de nombre de places.")
    await page.screenshot(path=str(SCREENSHOTS / "gestion-activite-modifier.png"), full_page=False)
    await page.get_by_role("button", name="Confirmer le nouveau nombre de places").click()
    await expect(page.get_by_text("✓ Le nombre de places a bien été modifié")).to_be_visible()
    first = page.locator(f'tr[data-jour="{over[0]}"]')
    await expect(first.locator('[data-effectif="places"]')).to_have_text("1")
    await expect(first.locator('[data-effectif="reserves"]')).to_have_text("2")
    for client in (staff, admin, w["parent"]):
        await client.close()
