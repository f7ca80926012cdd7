"""The waiting room as a parent meets it (docs/adr/0008), in headless Chromium against the real portal: while
booking cannot record (the day's places row held by another transaction, as a long staff change or a
saturated admission would), the confirmation answers at once with « Votre demande est dans la file
d'attente : position N, environ M secondes »; once the row is free the result appears by itself — followed
live by the page's script, and without JavaScript by the browser's refresh; reloading the result shows it
again, never « déjà réservé »."""

from __future__ import annotations

import re
import uuid
from datetime import date

import asyncpg
import pytest
from playwright.async_api import Page, expect

from tests.browser.test_journeys import shot
from tests.browser.test_reservations_pages import DESKTOP, canteen_days, sign_in, spoken
from tests.e2e.test_bookings import CARTEVILLE, MONTH, MONTH_END, MONTH_KEY, Api, new_family
from tests.portal import open_activities

WAITING = re.compile(r"Votre demande est dans la file d'attente : position 1, environ \d+ secondes?$")

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
async def canteen(portal):
    staff = Api(portal.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    ids, _names = await open_activities(portal, staff, (
        ("cantine", "Restauration scolaire", "11:30", "13:30", {}, 280, "session", [0, 1, 3, 4]),),
        MONTH, MONTH_END, CARTEVILLE)
    yield staff, ids["cantine"]
    await staff.close()


class HeldPlaces:
    """The day's places row locked by another transaction: booking's worker waits for it, the parent's
    confirmation stays in the waiting room until `release`."""

    def __init__(self, portal, activity: str):
        self.portal, self.activity = portal, activity

    async def __aenter__(self):
        self.conn = await asyncpg.connect(self.portal.booking_db)
        self.tx = self.conn.transaction()
        await self.tx.start()
        await self.conn.execute("SELECT 1 FROM sessions WHERE activity_id = $1 FOR UPDATE", uuid.UUID(self.activity))
        return self

    async def release(self) -> None:
        if self.tx is not None:
            await self.tx.rollback()
            self.tx = None

    async def __aexit__(self, *exc):
        await self.release()
        await self.conn.close()


async def up_to_the_recap(page: Page, portal, child: str, activity: str, day: date, javascript: bool) -> None:
    await page.goto(f"{portal.url}/reservations?enfant={child}&activite={activity}&mois={MONTH_KEY}")
    if not javascript:
        await page.get_by_role("button", name="Afficher").click()
    await page.get_by_role("button", name=f"Réserver le {spoken(day)}").click()
    await expect(page.locator(f"td.jour[data-date='{day.isoformat()}']")).to_have_class(
        re.compile(r"\battente-reserve\b"))
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("heading", name=re.compile("Récapitulatif des demandes"))).to_be_visible()


async def the_result_stays(page: Page) -> None:
    await expect(page.get_by_role("heading", name="Vos demandes ont été traitées")).to_be_visible()
    await expect(page.locator("table.resultat tbody tr", has_text="Acceptée")).to_have_count(1)
    await page.reload()  # a reload shows the same result: nothing recorded twice, never « déjà réservé »
    await expect(page.get_by_role("heading", name="Vos demandes ont été traitées")).to_be_visible()
    await expect(page.locator("table.resultat tbody tr", has_text="Acceptée")).to_have_count(1)
    await expect(page.locator("main")).not_to_contain_text("déjà réservé")


@pytest.mark.parametrize("javascript", [True, False], ids=["avec-javascript", "sans-javascript"])
async def test_a_parent_waits_in_the_queue_then_sees_the_result(portal, canteen, open_page, javascript):
    staff, activity = canteen
    parent, family = await new_family(portal, staff, children=1)
    leo = family["children"][0]["id"]
    day = date.fromisoformat((await canteen_days(parent, leo, activity))[-1])
    page = await open_page(DESKTOP, java_script_enabled=javascript)
    await sign_in(page, portal, family["identifiant"])
    await up_to_the_recap(page, portal, leo, activity, day, javascript)

    async with HeldPlaces(portal, activity) as held:
        await page.get_by_role("button", name="Valider", exact=True).click()
        await expect(page.get_by_role("heading", name="Votre demande est enregistrée dans la file d'attente")
                     ).to_be_visible()
        await expect(page.locator("[data-attente-texte]")).to_have_text(WAITING)
        assert re.search(r"/reservations/demandes/[0-9a-f-]{36}", page.url)
        if javascript:
            await shot(page, "file-attente.png")
        else:  # the page refreshes itself, and still shows the queue while the row is held
            async with page.expect_navigation(timeout=15_000):
                pass
            await expect(page.locator("[data-attente-texte]")).to_have_text(WAITING)
        await held.release()
        await the_result_stays(page)
    follow = await parent.call("GET", "/api/v1/booking/follow-up")
    assert [(line["date"], line["status"]) for line in follow["lines"]] == [(day.isoformat(), "accepted")]
    await parent.close()
