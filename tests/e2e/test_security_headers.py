"""The gateway's security headers on every kind of response (pages, API, assets, errors), no version
banner from the gateway nor from the services, uploaded documents always downloaded (never rendered),
and /metrics never served to the public side."""

from __future__ import annotations

import aiohttp
import pytest

from services.gateway.app import CONTENT_SECURITY_POLICY
from tests.conftest import METRICS_TOKEN, eventually
from tests.e2e.test_bookings import Api, new_family
from tests.e2e.test_dossier import PDF, upload
from tests.portal import portal

EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("headers")) as p:
        yield p


def assert_secured(headers, what: str) -> None:
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (what, name, headers.get(name))
    assert "Server" not in headers, (what, headers.get("Server"))


def test_the_policy_forbids_inline_script_and_framing():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'" and directives["img-src"] == "'self' data:"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/", 200),
    ("GET", "/connexion", 200),
    ("GET", "/reinitialisation/jeton-inconnu", None),
    ("GET", "/page-qui-n-existe-pas", 404),
    ("GET", "/static/portail.js", 200),
    ("GET", "/static/portail.css", 200),
    ("GET", "/static/absent.js", 404),
    ("GET", "/api/v1/structures", 200),
    ("GET", "/api/v1/session", 401),
    ("POST", "/api/v1/session", 415),
    ("GET", "/healthz", 200),
    ("GET", "/?x=%00", 400),
])
async def test_security_headers_on_every_response(site, method, path, status):
    async with aiohttp.ClientSession() as http, http.request(method, site.url + path, data=b"{",
                                                              allow_redirects=False) as resp:
        if status is not None:
            assert resp.status == status, (path, resp.status)
        assert_secured(resp.headers, path)


async def test_services_do_not_reveal_their_versions(site):
    async with aiohttp.ClientSession() as http:
        for base in (site.auth_url, site.booking_url, site.billing_url, site.dossier_url):
            for path in ("/healthz", "/v1/nowhere"):
                async with http.get(base + path) as resp:
                    assert "Server" not in resp.headers, (base, path, resp.headers.get("Server"))


async def test_uploaded_documents_are_downloaded_never_rendered(site):
    admin, staff = Api(site.url), Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    await staff.login("agent.carteville", "Demo-Agent-2027")
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    parent, family = await new_family(site, staff, children=1)

    async def sheet():
        data = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
        sheets = data.get("sheets", []) if isinstance(data, dict) else []
        return next((s["id"] for s in sheets if s["kind"] == "famille"), None)

    sheet_id = await eventually(sheet)
    document_id = (await upload(parent, sheet_id, "justificatif_qf", PDF, "avis CAF.pdf"))["id"]
    async with parent.http.get(f"{site.url}/api/v1/dossier/documents/{document_id}") as resp:
        assert resp.status == 200 and await resp.read() == PDF
        assert_secured(resp.headers, "API download")
        assert resp.headers["Content-Disposition"].startswith("attachment")
    browser = site.browser()
    await browser.login(family["identifiant"], "Cantine-Mercredi-2027")
    async with browser.http.get(f"{site.url}/dossier/pieces/{document_id}") as resp:
        assert resp.status == 200 and await resp.read() == PDF
        assert_secured(resp.headers, "page download")
        assert resp.headers["Content-Disposition"].startswith("attachment")
    for api in (admin, staff, parent):
        await api.close()


async def test_metrics_never_through_the_ingress(site):
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{site.url}/metrics", headers=bearer) as resp:
            assert resp.status == 200  # the scraper, straight to the pod
        for proxy in ({"X-Forwarded-For": "203.0.113.7"}, {"X-Real-IP": "203.0.113.7"},
                      {"Forwarded": "for=203.0.113.7"}):
            async with http.get(f"{site.url}/metrics", headers={**bearer, **proxy}) as resp:
                assert resp.status == 404, proxy  # from the public side, even with the token
                assert "portail_http_requests_total" not in await resp.text()
        async with http.get(f"{site.url}/metrics", headers={"Authorization": "Bearer " + "x" * 34}) as resp:
            assert resp.status == 401
