"""What every parent page does the same way (issue 16): a skip link first, a phone menu that works without
JavaScript, forms answered by a redirect so that reloading shows the result again and never repeats the
change, a list that does not send its form on the arrow keys, and a file sent from a dossier sheet that keeps
what was typed on it. (Every page these tests open is also checked by axe-core: tests/browser/conftest.py.)"""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.test_family_pages import SCHOOL_YEAR, admin, dossier_ready, sign_in, staff  # noqa: F401
from tests.e2e.test_bookings import new_family
from tests.e2e.test_dossier import PDF, find

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

expect.set_options(timeout=15_000)


async def test_skip_link_first_and_phone_menu_without_javascript(portal, staff, open_page):  # noqa: F811
    parent, family = await new_family(portal, staff, children=1)
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_visible()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()

    phone = await open_page(PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    await sign_in(phone, portal, family["identifiant"])
    menu = phone.get_by_role("navigation", name="Menu principal")
    await expect(menu).to_be_visible()  # open as it is: nothing to click without JavaScript
    await expect(phone.get_by_role("button", name="Menu")).to_be_hidden()
    await menu.get_by_role("link", name="Réservations").tap()
    await expect(phone.get_by_role("heading", name="Réservations", exact=True)).to_be_visible()
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await parent.close()


async def test_reloading_after_a_form_shows_the_result_and_repeats_nothing(portal, staff, open_page):  # noqa: F811
    parent, family = await new_family(portal, staff, children=1)
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])

    # the private calendar link: created once, shown again on reload (no second link, no form resent)
    await page.goto(portal.url + "/reservations/suivi")
    await page.get_by_role("button", name="Créer (ou renouveler) mon lien privé").click()
    await expect(page).to_have_url(re.compile(r"/reservations/suivi\?fait=lien-cree"))
    link = page.get_by_label("Votre lien privé")
    await expect(link).to_have_value(re.compile(r"/calendrier/[A-Za-z0-9_-]+\.ics$"))
    created = await link.input_value()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.method))
    await page.reload()
    await expect(page.get_by_role("status")).to_contain_text("Votre lien privé a été créé")
    await expect(link).to_have_value(created)
    assert "POST" not in requests, requests
    await page.get_by_role("button", name="Supprimer mon lien privé").click()
    await expect(page).to_have_url(re.compile(r"/reservations/suivi\?fait=lien-supprime"))  # the form's answer first
    await page.reload()
    await expect(page.get_by_role("status")).to_contain_text("Votre lien privé a été supprimé")
    await expect(page.get_by_label("Votre lien privé")).to_have_count(0)

    # a password reset asked for: the page after the redirect can be reloaded
    visitor = await open_page(DESKTOP)
    await visitor.goto(portal.url + "/reinitialisation")
    await visitor.get_by_label("Votre identifiant").fill(family["identifiant"])
    await visitor.get_by_label("Votre adresse courriel").fill("personne@example.fr")
    await visitor.get_by_role("button", name="Valider").click()
    await expect(visitor).to_have_url(re.compile(r"/reinitialisation/demande-envoyee$"))
    await visitor.reload()
    await expect(visitor.get_by_role("status")).to_contain_text("Si les informations saisies sont correctes")
    await parent.close()


async def test_arrow_keys_in_a_list_send_nothing(portal, staff, open_page):  # noqa: F811
    parent, family = await new_family(portal, staff, children=2)
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])
    await page.goto(portal.url + "/reservations")
    child = page.get_by_label("Enfant", exact=True)
    first = await child.input_value()
    await child.focus()
    await page.keyboard.press("ArrowDown")
    await page.wait_for_timeout(500)
    await expect(child).to_be_focused()  # still the same page: nothing was sent
    assert await child.input_value() != first
    await page.get_by_role("button", name="Afficher").click()
    await expect(page.get_by_label("Enfant", exact=True)).to_have_value(await child.input_value())
    await parent.close()


async def test_a_file_sent_from_a_sheet_keeps_what_was_typed(portal, staff, admin, open_page):  # noqa: F811
    parent, family = await new_family(portal, staff, children=1)
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": SCHOOL_YEAR}, expect=None)
    dossier = await dossier_ready(parent, 1)
    sheet = find(dossier, "assurance")
    page = await open_page(DESKTOP)
    await sign_in(page, portal, family["identifiant"])
    await page.goto(f"{portal.url}/dossier/fiche/{sheet['id']}")
    await page.get_by_label("Numéro de contrat").fill("CT-2026-4471")
    piece = page.locator("[data-piece=attestation_assurance]")
    await piece.locator("input[type=file]").set_input_files(
        {"name": "attestation.pdf", "mimeType": "application/pdf", "buffer": PDF})
    await piece.get_by_role("button", name=re.compile("Envoyer le fichier")).click()
    await expect(page.get_by_role("status")).to_contain_text("Le fichier a été ajouté")
    await expect(piece.locator(".fichiers")).to_contain_text("attestation.pdf")
    await expect(page.get_by_label("Numéro de contrat")).to_have_value("CT-2026-4471")
    await page.reload()  # kept as a draft, not only on the page
    await expect(page.get_by_label("Numéro de contrat")).to_have_value("CT-2026-4471")
    await expect(page.locator("[data-piece=attestation_assurance] .fichiers li")).to_have_count(1)
    await parent.close()
