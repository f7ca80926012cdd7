"""The « attestations de frais de garde » in headless Chromium (issue 19): staff tick the eligible activity
and write the structure's details on « Gestion › Attestations », see the year's certificate of the child
under six (what the payments paid for that activity) and issue the year; the family then finds it from
its Consommations page and downloads the PDF. Pages checked by axe-core (the open_page fixture)."""

from __future__ import annotations

import io
from pathlib import Path

from playwright.async_api import expect
from pypdf import PdfReader

from kit.clock import paris_today
from tests.browser.test_staff_pages import STAFF, api, sign_in, sign_in_staff
from tests.e2e.test_tax_certificates import family_with_a_young_and_an_older_child, paid_last_month

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FAMILY_PASSWORD = "Garde-Enfants-2027"  # what family_with_a_young_and_an_older_child leaves the family with

expect.set_options(timeout=15_000)


async def test_staff_issue_the_year_and_the_family_downloads_its_certificate(portal, open_page, amqp_url):
    year = paris_today().year
    page = await open_page()
    await sign_in_staff(page, portal, STAFF)
    staff = await api(portal, STAFF)
    parent, family = await family_with_a_young_and_an_older_child(portal, staff, year)
    await paid_last_month(portal, amqp_url, staff, parent, family)

    await page.get_by_role("navigation", name="Gestion").get_by_role("link", name="Attestations").click()
    await expect(page.get_by_role("heading", name="Attestations de frais de garde", exact=True)).to_be_visible()
    await page.get_by_label("Année").select_option(str(year))
    await page.get_by_role("button", name="Afficher").click()
    await page.get_by_label("ALSH MERCREDI").check()
    await page.get_by_label("Coordonnées de la structure").fill("1 place de la Mairie\n99000 CarteVille")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.get_by_role("status")).to_contain_text("activités éligibles")
    await expect(page.get_by_label("ALSH MERCREDI")).to_be_checked()
    await expect(page.get_by_label("REPAS SCOLAIRE")).not_to_be_checked()
    row = page.locator("table[data-attestations] tr", has_text="Léa MARTIN")
    await expect(row.locator("[data-total]")).to_have_text("30,00")  # of 69,00 paid: Léa's ALSH only
    await expect(page.locator("table[data-attestations] tr", has_text="Hugo")).to_have_count(0)  # six or more
    await page.get_by_role("button", name=f"Émettre les attestations {year}").click()
    await expect(page.get_by_role("status")).to_contain_text("les familles peuvent les télécharger")
    await expect(page.locator("[data-etat-annee]")).to_contain_text("Émises le")
    await page.screenshot(path=str(SCREENSHOTS / "gestion-attestations.png"), full_page=True)

    home = await open_page()
    await sign_in(home, portal, family["identifiant"], FAMILY_PASSWORD)
    await home.goto(portal.url + "/consommations")
    await home.get_by_role("link", name="Attestations de frais de garde").click()
    await expect(home.get_by_role("heading", name=f"Année {year} — Mairie de CarteVille")).to_be_visible()
    certificate = home.locator(f"table[data-attestations='{year}'] tr[data-enfant='Léa']")
    await expect(certificate.locator("[data-total]")).to_have_text("30,00")
    await expect(home.get_by_text("Hugo")).to_have_count(0)
    await home.screenshot(path=str(SCREENSHOTS / "attestations.png"))
    async with home.expect_download() as download_info:
        await certificate.get_by_role("link", name="Attestation PDF").click()
    download = await download_info.value
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(await download.path()).read_bytes())).pages)
    assert "Attestation de frais de garde" in text and "30,00" in text and "1 place de la Mairie" in text
    for client in (staff, parent):
        await client.close()
