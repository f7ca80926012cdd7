"""Where the sign-in form sends the user afterwards (`suite`): a path of this portal, never another site,
judged on what a browser makes of the target, not on the raw text."""

from __future__ import annotations

import pytest

from services.gateway.web.guards import safe_next

# Each of these leads a browser to another host (or to a script) when used as a Location.
OPEN_REDIRECTS = [
    "//evil.example",
    "///evil.example",
    "/\t/evil.example",          # browsers drop tabs and newlines: "//evil.example"
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\\evil.example",           # "\" is read as "/"
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2F/evil.example",         # decoded on the way: "//evil.example"
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%5c%5cevil.example",
    "/%09/evil.example",
    "/\x00/evil.example",
    "/\u3000/evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "HTTPS:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
    None,
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_a_target_that_may_leave_the_portal_gives_the_home_page(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", [
    "/", "/profil", "/reservations?enfant=3&mois=2026-09", "/dossier#fiche", "/gestion/familles?suite=/x",
])
def test_a_path_of_the_portal_is_kept(target):
    assert safe_next(target) == target
