"""Headless Chromium (Debian's, never one downloaded by Playwright) driving the real portal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.browser.accessibility import AxeChecker
from tests.portal import portal as running_portal

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
async def chromium():
    """One browser for the session; each test opens contexts (fresh cookies) of its own."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} introuvable : installez Chromium de Debian "
                    "(apt-get update && apt-get install -y chromium) pour les tests navigateur")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="module")
async def portal(amqp_url, db_prefix, tmp_path_factory):
    async with running_portal(amqp_url, db_prefix, tmp_path_factory.mktemp("portal")) as p:
        yield p


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def is_csp_violation(text: str) -> bool:
    """Chromium's console message when the gateway's Content-Security-Policy blocks something."""
    return "Content Security Policy" in text or "Content-Security-Policy" in text


@pytest.fixture
async def open_page(chromium):
    """`await open_page(viewport)`: a page in a fresh browser context (no cookies, downloads allowed),
    in French and Paris time, closed after the test. The test fails if the Content-Security-Policy
    blocked anything (an inline script, handler or style) on any page it opened, or if axe-core found
    an accessibility violation on any page it opened (tests/browser/accessibility.py)."""
    contexts = []
    axe = AxeChecker()
    violations: list[str] = []

    def on_console(message):
        if is_csp_violation(message.text):
            violations.append(f"{message.page.url if message.page else '?'} : {message.text}")

    async def _open(viewport: dict = DESKTOP, **options):
        context = await chromium.new_context(viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris",
                                             accept_downloads=True, **options)
        context.set_default_timeout(15_000)
        context.on("console", on_console)
        await axe.watch(context, viewport)
        contexts.append(context)
        return await context.new_page()

    yield _open
    await axe.finish()
    for context in contexts:
        await context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
    assert not axe.violations, "axe-core violations:\n" + "\n".join(axe.violations)
