"""The rosters (listes de présence) in headless Chromium against the real services: from /gestion alone,
staff open tomorrow's canteen roster (tomorrow per the portal's clock), see each child's flags, print it
(the print stylesheet hides the navigation), download its CSV for Excel, and read the day summary. The
screens are saved into docs/screenshots/ for the README."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.async_api import expect

from tests.browser.test_staff_pages import STAFF, api, sign_in_staff
from tests.e2e.test_rosters import tomorrows_canteen

DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

expect.set_options(timeout=15_000)


async def test_staff_print_tomorrows_roster_download_its_csv_and_read_the_day_summary(portal, open_page):
    staff, admin = await api(portal, STAFF), await api(portal, "admin.portail")
    t = await tomorrows_canteen(portal, staff, admin)
    page = await open_page(DESKTOP)
    await sign_in_staff(page, portal, STAFF)

    # from the Gestion menu: tomorrow is the day already chosen; the activity is picked in the list
    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Listes de présence").click()
    await expect(page.get_by_role("heading", name="Listes de présence", level=1)).to_be_visible()
    await expect(page.get_by_label("Jour")).to_have_value(t.day.isoformat())
    await page.get_by_label("Activité").select_option(label=t.activity_name)
    await page.get_by_role("button", name="Afficher la liste").click()
    await expect(page.get_by_role("heading", name=f"{t.activity_name} — Demain")).to_be_visible()

    expected = page.locator('table[data-liste="attendus"]')
    await expect(expected.locator("caption")).to_have_text("Enfants attendus : 2")
    leo = expected.locator(f'tr[data-enfant="{t.leo}"]')
    await expect(leo.get_by_role("rowheader")).to_have_text("DURAND Léo")
    await expect(leo.locator("td").nth(1)).to_have_text("Oui")  # PAI
    await expect(leo.locator("td").nth(2)).to_have_text("Sans porc")
    await expect(leo.locator("td").nth(3)).to_have_text("Non")  # image rights
    await expect(leo.locator("td").nth(4)).to_have_text("Mamie MARTIN (Grand-mère) 05 56 00 00 00")
    await expect(expected.locator(f'tr[data-enfant="{t.marina}"] td').nth(2)).to_have_text("Végétarien")
    waiting = page.locator('table[data-liste="attente"]')
    await expect(waiting.locator(f'tr[data-enfant="{t.zoe}"]')).to_contain_text("DURAND Zoé")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "gestion-liste-presence.png"), full_page=False)

    # printed: the lists only, no header, menus, form or buttons
    await page.emulate_media(media="print")
    await expect(page.get_by_role("navigation", name="Gestion")).to_be_hidden()
    await expect(page.get_by_role("navigation", name="Menu principal")).to_be_hidden()
    await expect(page.locator("header.bandeau")).to_be_hidden()
    await expect(page.get_by_role("button", name="Afficher la liste")).to_be_hidden()
    await expect(page.get_by_role("button", name="Imprimer")).to_be_hidden()
    await expect(leo).to_be_visible()
    assert len(await page.pdf(format="A4", landscape=True)) > 1000
    await page.emulate_media(media="screen")
    await expect(page.get_by_role("navigation", name="Gestion")).to_be_visible()

    # the CSV for Excel in French
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Exporter en CSV (Excel)").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(f"-{t.day.isoformat()}.csv")
    raw = Path(await download.path()).read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["Liste", "Nom", "Prénom", "Arrivée", "Départ", "PAI", "Régime alimentaire", "Droit à l'image",
                       "Autorisés à récupérer l'enfant", "À appeler en urgence"]
    assert ["Enfants attendus", "DURAND", "Léo", "11:30", "13:30", "Oui", "Sans porc", "Non",
            "Mamie MARTIN (Grand-mère) 05 56 00 00 00", "Mamie MARTIN (Grand-mère) 05 56 00 00 00"] in rows

    # the day summary across the structure's activities
    await page.get_by_role("link", name="Résumé du jour pour toutes les activités").click()
    await expect(page.get_by_role("heading", name="Résumé du jour", level=1)).to_be_visible()
    await expect(page.locator("[data-resume]")).to_have_text(
        "Demain : 2 repas dont 1 sans porc, 1 végétarien, 1 PAI")
    row = page.locator(f'tr[data-activite="{t.activity_id}"]')
    await expect(row.locator("td").nth(0)).to_have_text("2")  # expected
    await expect(row.locator("td").nth(1)).to_have_text("1")  # waiting list
    await page.screenshot(path=str(SCREENSHOTS / "gestion-resume-jour.png"), full_page=False)
    await row.get_by_role("link").click()
    await expect(page.get_by_role("heading", name=f"{t.activity_name} — Demain")).to_be_visible()
    for client in (staff, admin):
        await client.close()
