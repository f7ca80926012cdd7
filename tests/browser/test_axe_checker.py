"""The axe-core checker of the browser tests (tests/browser/accessibility.py) under the moves that made it
flaky: a test leaving a page before its `load` event (goto after goto, a click then a goto at once), a
form post answered by 303 and one answered by the form again, a download, and a page that navigates
itself (the waiting room's reload). Every page opened is analysed, once, and no navigation waits long."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Route

from tests.browser.accessibility import AxeChecker
from tests.browser.conftest import DESKTOP
from tests.browser.test_journeys import PASSWORD
from tests.e2e.test_bookings import Api, new_family


@pytest.fixture
async def checked(chromium):
    """(checker, context): a context watched by a checker of its own, which the test inspects."""
    axe = AxeChecker()
    context = await chromium.new_context(viewport=DESKTOP, locale="fr-FR", timezone_id="Europe/Paris",
                                         accept_downloads=True)
    context.set_default_timeout(15_000)

    async def attachment(route: Route) -> None:  # a download answering a navigation (as the CSV exports)
        await route.fulfill(status=200, body="a;b\n", headers={
            "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="essai.csv"'})

    await context.route("**/essai-telechargement.csv", attachment)  # before the checker's route: it runs last
    await axe.watch(context, DESKTOP)
    yield axe, context
    await context.close()


def analysed(axe: AxeChecker, url: str) -> int:
    return axe.analysed.count(f"{DESKTOP['width']}x{DESKTOP['height']} {url}")


async def test_pages_left_before_load_are_all_analysed_without_waiting(portal, checked):
    axe, context = checked
    page = await context.new_page()
    started = time.monotonic()
    for n in range(6):  # the next navigation starts as soon as the response arrives, before `load`
        await page.goto(f"{portal.url}/connexion?essai={n}", wait_until="commit")
    await page.goto(f"{portal.url}/connexion?essai=fin", wait_until="domcontentloaded")
    for n in range(3):  # a click on a link, and a goto at once
        await page.goto(f"{portal.url}/connexion?clic={n}", wait_until="commit")
        await page.locator("a[href]").first.click(no_wait_after=True)
        await page.goto(f"{portal.url}/connexion?apres-clic={n}", wait_until="commit")
    await axe.finish()
    elapsed = time.monotonic() - started
    assert [analysed(axe, f"{portal.url}/connexion?essai={n}") for n in range(6)] == [1] * 6
    assert analysed(axe, f"{portal.url}/connexion?essai=fin") == 1
    assert [analysed(axe, f"{portal.url}/connexion?clic={n}") for n in range(3)] == [1] * 3
    assert [analysed(axe, f"{portal.url}/connexion?apres-clic={n}") for n in range(3)] == [1] * 3
    assert not axe.violations, axe.violations
    assert elapsed < 25, f"{elapsed:.1f} s"  # (the old checker held a navigation 30 s here)


async def test_form_posts_downloads_and_self_navigating_pages_are_analysed(portal, checked):
    axe, context = checked
    staff = Api(portal.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    _parent, family = await new_family(portal, staff, children=1)
    await _parent.close()
    await staff.close()
    page = await context.new_page()
    started = time.monotonic()
    await page.goto(f"{portal.url}/connexion")
    await page.get_by_label("Votre identifiant").fill(family["identifiant"])
    await page.get_by_label("Mot de passe").fill("pas le bon")
    await page.get_by_role("button", name="Se connecter").click(no_wait_after=True)  # answered by the form
    await page.wait_for_url("**/connexion", wait_until="commit")
    await page.get_by_label("Votre identifiant").fill(family["identifiant"])
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()  # answered by 303
    await page.wait_for_url(lambda url: "/connexion" not in url)
    home = page.url
    async with page.expect_download() as download:  # a download does not replace the document
        await page.evaluate("location.href = '/essai-telechargement.csv'")
    assert (await download.value).suggested_filename == "essai.csv"
    for _ in range(3):  # the page reloads itself (as the waiting room's script does), before its `load`
        async with page.expect_navigation(wait_until="commit"):
            await page.evaluate("location.reload()")
    await page.goto(f"{portal.url}/connexion?fin", wait_until="commit")
    last = page.url
    await axe.finish()
    assert analysed(axe, home) == 1  # once, however many times it reloaded
    assert analysed(axe, f"{portal.url}/connexion") == 1
    assert analysed(axe, last) == 1
    assert not axe.violations, axe.violations
    assert time.monotonic() - started < 25
