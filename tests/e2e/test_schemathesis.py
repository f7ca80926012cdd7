"""The public API against its own OpenAPI document, on the real stack: Schemathesis generates requests
for every declared operation from the document the gateway serves (GET /api/v1/openapi.json), sends
them signed in as a family and as staff (session cookie and X-CSRF-Token), and every answer must be
no server error (5xx), with a documented status code, a documented content type and a body that
matches the documented schema. Bounded: a few examples per operation and caller."""

from __future__ import annotations

import asyncio
import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.auth import demo
from tests.e2e.test_access_booking_dossier_notify import family_in
from tests.e2e.test_bookings import Api
from tests.portal import portal

MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Would end the very session the run uses, or sign in again with random identifiers (and so throttle
# the test's own address): called in the other e2e tests, not fuzzed here.
SKIPPED = {("DELETE", "/api/v1/session"), ("POST", "/api/v1/session")}


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("schemathesis")) as p:
        yield p


@pytest.fixture(scope="module")
async def callers(site):
    """A family and CarteVille's staff, signed in; a dossier campaign open (the dossier's routes need one)."""
    staff, admin = Api(site.url), Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    await admin.login("admin.portail", "Demo-Admin-2027")
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    family, _ = await family_in(site, staff, demo.DEMO_STRUCTURE_ID, "Lou")
    yield {"family": family, "staff": staff}
    for api in (staff, admin, family):
        await api.close()


def _session_of(api: Api) -> dict:
    return {"portail_session": next(c.value for c in api.http.cookie_jar if c.key == "portail_session")}


def run_operations(schema, base_url: str, who: str, api: Api, seen: dict) -> list[str]:
    """Every operation with MAX_EXAMPLES valid and MAX_EXAMPLES invalid generated cases as `who`; what
    went wrong, one entry per operation and mode."""
    failures = []
    cookies, headers = _session_of(api), {"X-CSRF-Token": api.csrf}
    http = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _run_one(operation, mode, base_url, who, http, cookies, headers, seen)
    http.close()
    return failures


def _run_one(operation, mode, base_url, who, http, cookies, headers, seen) -> list[str]:
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode, cookies=cookies, headers=headers))
    def one(case):
        response = case.call(base_url=base_url, session=http, cookies=cookies, headers=headers, timeout=30)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS)

    try:
        one()
    except Unsatisfiable:  # an operation without parameters or body: nothing to make invalid
        if mode is GenerationMode.NEGATIVE:
            return []
        raise
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation's failure is reported
        return [f"{who} {mode.value} {operation.method.upper()} {operation.path}: {str(exc)[:600]}"]
    return []


async def test_every_operation_conforms_to_the_document_as_family_and_staff(site, callers):
    async with callers["staff"].http.get(site.url + "/api/v1/openapi.json") as resp:
        assert resp.status == 200 and resp.content_type == "application/json"
        document = await resp.json()
    schema = schemathesis.openapi.from_dict(document)
    seen: dict[int, int] = {}
    started = time.monotonic()
    failures = []
    for who in ("family", "staff"):
        # the gateway runs in this event loop: the synchronous client runs beside it
        failures += await asyncio.to_thread(run_operations, schema, site.url, who, callers[who], seen)
    elapsed = time.monotonic() - started
    print("answers by status:", dict(sorted(seen.items())), f"in {elapsed:.0f} s")
    assert not failures, "\n\n".join(failures)
    assert not any(status >= 500 for status in seen), seen
    assert sum(seen.values()) >= len(document["paths"]) * 2, seen  # something was really sent
    assert elapsed < 240, elapsed
