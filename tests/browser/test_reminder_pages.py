"""The profile's « Rappels par courriel » in headless Chromium (issue 19): a family turns the automatic
reminders off and on again; the page says so and keeps the choice. Checked by axe-core (open_page)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.browser.test_staff_pages import STAFF, api, sign_in
from tests.e2e.test_bookings import new_family

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PARENT_PASSWORD = "Cantine-Mercredi-2027"  # what tests.e2e.test_bookings.new_family leaves the family with

expect.set_options(timeout=15_000)


async def test_a_family_turns_the_reminders_off_in_its_profile(portal, open_page):
    staff = await api(portal, STAFF)
    parent, family = await new_family(portal, staff, children=1)
    page = await open_page()
    await sign_in(page, portal, family["identifiant"], PARENT_PASSWORD)
    await page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Profil").click()
    await expect(page.get_by_role("heading", name="Rappels par courriel")).to_be_visible()
    box = page.get_by_label("Recevoir les rappels par courriel")
    await expect(box).to_be_checked()
    await box.uncheck()
    await page.get_by_role("button", name="Enregistrer mon choix").click()
    await expect(page.get_by_role("status")).to_have_text("✓ Votre choix pour les rappels a bien été enregistré")
    await expect(box).not_to_be_checked()
    assert (await parent.call("GET", "/api/v1/notify/reminders"))["receive"] is False
    await page.locator("section", has_text="Rappels par courriel").screenshot(
        path=str(SCREENSHOTS / "profil-rappels.png"))
    await box.check()
    await page.get_by_role("button", name="Enregistrer mon choix").click()
    await expect(box).to_be_checked()
    assert (await parent.call("GET", "/api/v1/notify/reminders"))["receive"] is True
    for client in (staff, parent):
        await client.close()
