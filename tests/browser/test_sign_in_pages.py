"""The sign-in pages as a parent uses them: headless Chromium on a phone and a desktop, against the real
auth and notify services and the gateway (real PostgreSQL and RabbitMQ, mail read back from the catcher)."""

from __future__ import annotations

import re
import uuid
from datetime import date

from playwright.async_api import Page, expect

from services.auth import demo
from services.auth.domain.families import ImportedChild, ImportedFamily, ImportedGuardian
from services.auth.events import PRODUCER
from services.auth.hashing import PasswordHasher
from services.auth.service.families import upsert_family
from services.auth.store import Store
from tests.conftest import eventually

INITIAL = "Initial-Nav-2026"
GOOD = "Goûter-Mercredi-2027"
RULES = ("min_length", "lower", "upper", "digit", "max_length")
CARTEVILLE_NEWS = "Bienvenue sur le Portail Famille de la Mairie de CarteVille."
BOURG_NEWS = "L'accueil de loisirs est ouvert tous les mercredis."
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

expect.set_options(timeout=15_000)


async def new_family(portal, *, children: int = 1) -> tuple[str, str]:
    """A family of this module's own (identifiant NAV-…), with one address; children in one or two structures."""
    identifiant = f"NAV-{uuid.uuid4().hex[:8]}"
    email = f"{identifiant.lower()}@example.fr"
    conn = await portal.db()
    try:
        async with conn.transaction():
            await upsert_family(conn, Store(None), PRODUCER, PasswordHasher(), ImportedFamily(
                identifiant=identifiant,
                guardians=(ImportedGuardian("Jean-Paul", "DUPONT", 1),),
                emails=(email,), structure_id=demo.DEMO_STRUCTURE_ID, initial_password=INITIAL,
                children=tuple(ImportedChild(f"Enfant{i}", "DUPONT", date(2018, 1, 1 + i),
                                             demo.DEMO_STRUCTURE_ID if i == 0 else demo.DEMO_SECOND_STRUCTURE_ID)
                               for i in range(children)),
                lines=()))
    finally:
        await conn.close()
    return identifiant, email


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


async def sign_in(page: Page, portal, identifiant: str, password: str) -> None:
    await page.goto(portal.url + "/connexion")
    await page.get_by_label("Votre identifiant").fill(identifiant)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()


async def expect_rules(page: Page, met: set[str]) -> None:
    for rule in RULES:
        item = page.locator(f"ul[data-regles] li[data-regle={rule}]")
        if rule in met:
            await expect(item).to_have_class(re.compile(r"\brespectee\b"))
        else:
            await expect(item).not_to_have_class(re.compile(r"\brespectee\b"))


async def first_login(page: Page, portal, identifiant: str) -> None:
    """Initial password, new password, consents: the parent ends on the home page."""
    await sign_in(page, portal, identifiant, INITIAL)
    await expect(page).to_have_url(re.compile(r"/mise-a-jour-securite$"))
    await page.get_by_label("Saisir le nouveau mot de passe").fill(GOOD)
    await page.get_by_label("Confirmez le mot de passe").fill(GOOD)
    await page.get_by_role("button", name="Valider", exact=True).click()
    await page.get_by_role("link", name="✓ J'accède à mon portail Familles").click()
    await accept_consents(page)


CONTRAST_JS = """element => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = c => {
    const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(element);
  const background = rgb(getComputedStyle(element.closest('.bandeau')).backgroundColor);
  const alpha = Number(style.opacity);
  const text = rgb(style.color).map((v, i) => alpha * v + (1 - alpha) * background[i]);
  const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}"""


async def expect_readable_header(page: Page) -> None:
    """Each text of the blue header reads at WCAG AA contrast (4.5:1) against the header."""
    for selector in (".nom", ".maj", ".marque"):
        element = page.locator(f".bandeau {selector}")
        ratio = await element.evaluate(CONTRAST_JS)
        assert ratio >= 4.5, f"{selector} « {await element.inner_text()} »: contrast {ratio:.2f}:1 < 4.5:1"


async def accept_consents(page: Page) -> None:
    await expect(page).to_have_url(re.compile(r"/consentements$"))
    boxes = page.get_by_role("checkbox")
    await expect(boxes).to_have_count(2)
    await page.get_by_label("J'ai pris connaissance du « RGPD »").check()
    await page.get_by_label("J'ai pris connaissance des « Conditions générales d'utilisation du portail »").check()
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))
    await expect(page.get_by_role("heading", name="Accueil", exact=True)).to_be_visible()


# -- first login on a phone --------------------------------------------------------------------------
async def test_first_login_on_a_phone(portal, open_page, artifacts):
    identifiant, _ = await new_family(portal)
    page = await open_page(PHONE, is_mobile=True, has_touch=True)

    await sign_in(page, portal, identifiant, INITIAL)
    await expect(page).to_have_url(re.compile(r"/mise-a-jour-securite$"))
    await expect(page.get_by_role("heading", name="Mise à jour de sécurité : Mon mot de passe")).to_be_visible()
    # no menu before the new password and the consents
    await expect(page.locator(".menu-bouton")).to_have_count(0)

    # the rules get their tick as the parent types, one character at a time
    nouveau = page.get_by_label("Saisir le nouveau mot de passe")
    await expect_rules(page, set())
    await nouveau.press_sequentially("abc")
    # "abc" is short: only the lower-case rule (and "at most 30 characters", trivially) is met
    await expect_rules(page, {"lower", "max_length"})
    await nouveau.press_sequentially("DEF12")
    await expect(nouveau).to_have_value("abcDEF12")
    await expect_rules(page, {"min_length", "lower", "upper", "digit", "max_length"})
    await nouveau.clear()
    await expect_rules(page, set())
    await nouveau.press_sequentially("ABCDEFGH")
    await expect_rules(page, {"min_length", "upper", "max_length"})
    await nouveau.clear()
    # the field stops at 30 characters, so the maximum stays met
    await nouveau.press_sequentially("Aa1" + "x" * 40)
    await expect(nouveau).to_have_value("Aa1" + "x" * 27)
    await expect_rules(page, set(RULES))

    await nouveau.fill("")
    await nouveau.press_sequentially(GOOD)
    await expect_rules(page, set(RULES))
    await page.get_by_label("Confirmez le mot de passe").fill(GOOD)
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("✓ Le mot de passe a bien été enregistré")
    await page.get_by_role("link", name="✓ J'accède à mon portail Familles").click()

    await expect(page.get_by_role("heading", name="Protection des données personnelles (RGPD)",
                                  exact=False)).to_be_visible()
    await accept_consents(page)
    await expect(page.locator(".news")).to_contain_text(CARTEVILLE_NEWS)
    await expect(page.locator(".bandeau")).to_contain_text("DUPONT Jean-Paul")
    await expect(page.locator(".bandeau")).to_contain_text("Dernière mise à jour :")
    await expect_readable_header(page)

    # on a phone the menu hides behind the "☰" button at the top right
    menu = page.locator("#menu")
    button = page.get_by_role("button", name="Menu")
    await expect(button).to_be_visible()
    await expect(button).to_have_text("☰")
    box = await button.bounding_box()
    assert box["x"] + box["width"] >= PHONE["width"] - 40, box
    assert box["y"] < 60, box
    await expect(menu).to_be_hidden()
    await expect(button).to_have_attribute("aria-expanded", "false")
    await button.tap()
    await expect(menu).to_be_visible()
    await expect(button).to_have_attribute("aria-expanded", "true")
    await expect(menu.get_by_role("link", name="Profil")).to_be_visible()
    await page.screenshot(path=str(artifacts / "accueil-telephone-menu-ouvert.png"), full_page=True)
    await button.tap()
    await expect(menu).to_be_hidden()
    await page.screenshot(path=str(artifacts / "accueil-telephone.png"), full_page=True)

    # nothing wider than the phone
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"horizontal scroll: {scroll_width}px > {PHONE['width']}px"


# -- desktop: structure choice, sign-out, back button ------------------------------------------------
async def test_structure_switch_then_sign_out_and_back_on_a_desktop(portal, open_page, artifacts):
    identifiant, email = await new_family(portal, children=2)
    page = await open_page(DESKTOP)
    documents = []  # (path, Cache-Control) of each HTML page the browser got
    page.on("response", lambda r: documents.append((path_of(r.url), r.headers.get("cache-control")))
            if r.request.resource_type == "document" and r.status == 200 else None)
    await first_login(page, portal, identifiant)

    # the nav is shown as is on a desktop, without the "☰" button
    await expect(page.locator("#menu")).to_be_visible()
    await expect(page.get_by_role("button", name="Menu")).to_be_hidden()

    choice = page.locator("#choix-structure")
    await expect(choice.locator("option:checked")).to_have_text("Mairie de CarteVille")
    await expect(page.locator(".news")).to_contain_text(CARTEVILLE_NEWS)
    await choice.select_option(label="Accueil de loisirs du Bourg")  # submits the form on change
    await expect(page.locator(".news")).to_contain_text(BOURG_NEWS)
    await expect(page.locator(".news")).not_to_contain_text(CARTEVILLE_NEWS)
    await expect(page.locator("#choix-structure option:checked")).to_have_text("Accueil de loisirs du Bourg")
    await expect_readable_header(page)
    await page.screenshot(path=str(artifacts / "accueil-bureau-bourg.png"), full_page=True)

    # a private page, then sign-out
    await page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Profil").click()
    await expect(page).to_have_url(re.compile(r"/profil$"))
    await expect(page.get_by_role("heading", name="Profil utilisateur")).to_be_visible()
    await expect(page.get_by_label("Adresse(s) mail")).to_have_value(email)
    await page.get_by_role("button", name="Se déconnecter").click()
    await expect(page).to_have_url(re.compile(r"/connexion$"))
    await expect(page.get_by_role("button", name="Se connecter")).to_be_visible()

    # the back button shows the sign-in page again, not the private page from a cache
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/connexion\?suite=(%2F|/)profil$"))
    await expect(page.get_by_role("heading", name="Authentification")).to_be_visible()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    await expect(page.locator("body")).not_to_contain_text("DUPONT Jean-Paul")
    await expect(page.get_by_label("Adresse(s) mail")).to_have_count(0)
    # one step further back, the home page is the public one
    await page.go_back()
    await expect(page.get_by_role("heading", name="Bienvenue sur le Portail Famille")).to_be_visible()
    await expect(page.locator("body")).not_to_contain_text("DUPONT Jean-Paul")
    await expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    # no page, private or not, may be kept by the browser
    assert {"/", "/profil", "/consentements", "/mise-a-jour-securite"} <= {path for path, _ in documents}
    assert all(cache == "no-store" for _, cache in documents), documents


# -- wrong password ------------------------------------------------------------------------------------
async def test_wrong_password_is_announced(portal, open_page):
    identifiant, _ = await new_family(portal)
    page = await open_page(PHONE, is_mobile=True, has_touch=True)
    await sign_in(page, portal, identifiant, "Pas-Le-Bon-2027")
    alert = page.get_by_role("alert")
    await expect(alert).to_have_text("Identifiant ou mot de passe incorrect.")
    await expect(page.get_by_label("Votre identifiant")).to_have_value(identifiant)
    await expect(page.get_by_label("Mot de passe")).to_have_value("")
    # the right one then works from the same page
    await page.get_by_label("Mot de passe").fill(INITIAL)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page).to_have_url(re.compile(r"/mise-a-jour-securite$"))


# -- reset by mail ---------------------------------------------------------------------------------------
async def test_reset_by_mail_link(portal, open_page):
    identifiant, email = await new_family(portal)
    page = await open_page(PHONE, is_mobile=True, has_touch=True)
    await page.goto(portal.url + "/connexion")
    await page.get_by_role("link", name="Réinitialiser votre mot de passe").click()
    await expect(page).to_have_url(re.compile(r"/reinitialisation$"))
    await page.get_by_label("Votre identifiant :").fill(identifiant)
    await page.get_by_label("Votre adresse courriel :").fill(email.upper())
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Si les informations saisies sont correctes, vous allez recevoir un mail")

    async def mail():
        return [m for m in portal.catcher.messages if email in m.to and identifiant in m.text]

    [message] = await eventually(mail)
    assert message.subject == "Portail Famille : réinitialisation de votre mot de passe"
    link = re.search(r"/reinitialisation/[A-Za-z0-9_-]+", message.text).group(0)

    await page.goto(portal.url + link)
    await expect(page.get_by_role("heading", name="Choisissez votre nouveau mot de passe")).to_be_visible()
    nouveau = page.get_by_label("Saisir le nouveau mot de passe")
    await nouveau.press_sequentially("Nouveau-Secret-2027")
    await expect_rules(page, set(RULES))
    await page.get_by_label("Confirmez le mot de passe").fill("Nouveau-Secret-2027")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("✓ Le mot de passe a bien été enregistré")

    # the link was for one use only, and the new password signs in
    await page.goto(portal.url + link)
    await expect(page.locator("main")).to_contain_text("Lien expiré")
    await sign_in(page, portal, identifiant, "Nouveau-Secret-2027")
    await expect(page).not_to_have_url(re.compile(r"/connexion"))
    await expect(page.get_by_role("alert")).to_have_count(0)
