"""Shared custody (garde alternée, issue 19) in the browser: staff link a child to a second household from
the family page, typing only its identifiant; the second household's calendar shows the day the first one
booked as "Réservé par l'autre foyer", with nothing to click. Headless Chromium against the real stack (axe
and the CSP checked on every page by the open_page fixture)."""

from __future__ import annotations

from datetime import date

from playwright.async_api import Page, expect

from tests.conftest import eventually
from tests.e2e.test_bookings import MONTH_KEY, Api, new_family, open_days
from tests.e2e.test_shared_custody import calendar, canteen, confirm

STAFF, PASSWORD, RENEWED = "agent.carteville", "Demo-Agent-2027", "Garde-Alternee-2028"

expect.set_options(timeout=15_000)


async def sign_in(page: Page, portal, login: str, passwords: tuple[str, ...]) -> None:
    """Sign in with the first password that works; renew it when the portal demands."""
    for password in passwords:
        await page.goto(portal.url + "/connexion")
        await page.get_by_label("Votre identifiant").fill(login)
        await page.get_by_label("Mot de passe").fill(password)
        await page.get_by_role("button", name="Se connecter").click()
        await page.wait_for_load_state()
        if not page.url.endswith("/connexion"):
            break
    if page.url.endswith("/mise-a-jour-securite"):
        await page.get_by_label("Saisir le nouveau mot de passe").fill(RENEWED)
        await page.get_by_label("Confirmez le mot de passe").fill(RENEWED)
        await page.get_by_role("button", name="Valider").click()
        await page.wait_for_load_state()


async def test_staff_link_a_second_household_and_it_sees_the_other_households_day(portal, open_page, artifacts):
    staff = Api(portal.url)
    await staff.login(STAFF, PASSWORD)
    activity_id = await canteen(portal, staff)
    first, a = await new_family(portal, staff, children=1)
    second, b = await new_family(portal, staff, children=1)
    child = a["children"][0]["id"]

    page = await open_page()
    await sign_in(page, portal, STAFF, (PASSWORD, RENEWED))
    await page.goto(f"{portal.url}/gestion/familles/{a['family_id']}")
    await page.get_by_label("Identifiant du second foyer de Léo DURAND").fill(b["identifiant"])
    await page.get_by_role("button", name="Rattacher Léo à ce foyer").click()
    await expect(page.get_by_text("L'enfant est rattaché au second foyer (garde alternée)")).to_be_visible()
    row = page.get_by_role("row", name="DURAND Léo")
    await expect(row).to_contain_text(f"Aussi rattaché au foyer {b['identifiant']}")
    await page.screenshot(path=str(artifacts / "gestion-garde-alternee.png"), full_page=True)

    async def shared_known():
        kids = (await second.call("GET", "/api/v1/booking/children"))["children"]
        return kids if child in {k["id"] for k in kids} else None

    await eventually(shared_known)
    day = open_days({"days": list((await calendar(first, child, activity_id)).values())})[0]
    assert (await confirm(first, child, activity_id, day))["outcome"] == "accepted"

    parent = await open_page()
    await sign_in(parent, portal, b["identifiant"], ("Cantine-Mercredi-2027",))
    await parent.goto(f"{portal.url}/reservations?enfant={child}&activite={activity_id}&mois={MONTH_KEY}")
    cell = parent.locator(f'td[data-date="{day}"]')
    await expect(cell).to_have_attribute("data-etat", "other_household")
    await expect(cell.get_by_role("button")).to_have_count(0)
    await expect(parent.locator(".legende")).to_contain_text("Réservé par l'autre foyer")
    assert date.fromisoformat(day).strftime("%Y-%m") == MONTH_KEY
    await parent.screenshot(path=str(artifacts / "reservations-garde-alternee.png"), full_page=True)
    for api in (staff, first, second):
        await api.close()
