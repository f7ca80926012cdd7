"""Every declared public route (services/gateway/public_api.py) called by every kind of caller, on every
side of the ownership line, on the real stack (issue 13: route × caller × objects of A, B, X, Y).

Callers: nobody signed in, family A (of structure X, the demo CarteVille), family B (of structure Y,
created by the administrator), staff of X, staff of Y, and the administrator. The world is built twice,
once per side: side A (A's child, sheets, documents, contacts, invoice; X's activity, session, pending
request, another family C of X) and its mirror side B (B's, and Y's with a family D of Y). A route that
names an object (a path parameter, a query or a body reference) is called with side A's objects and
again with side B's, by every caller; a route that names none is called once. A few routes naming two
objects are also called across the line (one object of each side) and must then be refused.

Expected for each (route, caller, objects), from the declaration and the ownership:
- refused when the declaration does not admit the caller's role, or when an object is not theirs
  (another family's, another structure's, a family's draft): 401 for nobody signed in, 403 or 404 for
  the others;
- allowed otherwise: a success; for a case whose body is complete (`complete`), a success and nothing
  else (a 409 only where another allowed caller of the same batch changed the state first: already
  decided, reviewed, published or paid; the services answer it after their access check, so a refused
  caller never gets it); for a body left incomplete on purpose (nothing changes), a 400/409/422 counts.

So it proves: family A refused on every object of B and B on every object of A, staff of X refused on
every object of Y (reads and writes: enrol, decide, review, record a payment, security update, news...)
and staff of Y on every object of X, the administrator allowed on both sides.

The module fails when a route is declared without saying who may call it, when a declared route has no
case here, when a route is registered under /api/v1 without a declaration, when a case said to name no
object names one, and when a mirror case still names an object of the other side."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from contracts import BookingTransmittedV1, TransmittedLine
from services.auth import demo
from services.gateway import public_api
from services.gateway.app import build_app
from services.gateway.settings import GatewaySettings
from tests.conftest import METRICS_TOKEN, SECRET, eventually
from tests.e2e.test_access_booking_dossier_notify import PDF, PNG, dossier_of, family_in, sheet, upload
from tests.e2e.test_billing import publish
from tests.e2e.test_bookings import MONTH, MONTH_END, MONTH_KEY, Api
from tests.portal import portal

X = str(demo.DEMO_STRUCTURE_ID)
CALLERS = ("anonymous", "family_a", "family_b", "staff_x", "staff_y", "admin")
ROLE = {"anonymous": "anonymous", "family_a": "family", "family_b": "family", "staff_x": "staff",
        "staff_y": "staff", "admin": "admin"}
SIDES = ("A", "B")  # side A: family A and structure X; side B, its mirror: family B and structure Y
STRUCTURE_OF = {"A": "X", "B": "Y"}
# Who owns what a case names: an object of a family (seen by the family, the staff of its structure and
# the administrator), a family's draft (the family only), an object of a structure (its staff and the
# administrator).
OWNERS = {
    "A": {"family_a", "staff_x", "admin"},
    "B": {"family_b", "staff_y", "admin"},
    "A-draft": {"family_a"},
    "B-draft": {"family_b"},
    "X": {"staff_x", "admin"},
    "Y": {"staff_y", "admin"},
}
NOBODY: frozenset[str] = frozenset()
ADMIN_ONLY = frozenset({"admin"})
INVOICED_MONTH = "2026-02"  # fixed: the test does not depend on the day it runs
CLOSED_DAY = "2020-01-06"   # a closure in a past month: no session of the test is removed
FAR_DAY = "2099-01-05"      # a mass closure before which there is time to re-open it
HEALTH = {"vaccinated": True, "vaccinations": [{"name": "DT Polio", "last_date": "2024-03-01"}],
          "allergies": "Pollen", "pai": False, "treatment": "Ventoline", "doctor_name": "Dr Lune"}
RULES = {"acknowledged": True, "signer_name": "Inès MOREAU", "place": "CarteVille", "signed_on": "2025-09-01",
         "signed_at": "14:30"}
BATCH = 36


@dataclass
class Case:
    """How to call one route: its path parameters, query and body from one side of the world (and the
    caller, for bodies that must be unique), and whose objects it names.

    `owner`: "none" (names no object: called once), "family" (an object of the side's family),
    "draft" (a family's draft), "structure" (an object of the side's structure), or a fixed set of
    callers for a case across the line (objects of both sides: `w["other"]` is the other side)."""

    owner: str | frozenset[str] = "none"
    params: Callable[[dict], dict] = lambda w: {}
    query: Callable[[dict], dict] = lambda w: {}
    body: Callable[[dict, str], Any] = lambda w, caller: None
    raw: bytes | None = None          # a non-JSON body (sent as application/octet-stream)
    fresh_session: bool = False       # each caller signs in anew (the call ends its session)
    complete: bool = False            # a complete request: an allowed caller gets a success
    conflict: bool = False            # ... or a 409 (the state changed under it, by another allowed caller)
    refused: tuple[int, ...] = (403, 404)  # how a signed-in caller is refused
    label: str = ""                   # tells the variants of one route apart in the report
    extra: dict = field(default_factory=dict)

    @property
    def names_objects(self) -> bool:
        return self.owner != "none"

    @property
    def across(self) -> bool:
        return isinstance(self.owner, frozenset)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _line(w: dict, action: str = "reserve") -> dict:
    return {"child_id": w["child"], "activity_id": w["activity"], "date": w["day"], "action": action}


def _family_in(w: dict, c: str, children_structure: str | None = None) -> dict:
    child = {"first_name": "Tom", "last_name": "ROCHE", "birth_date": "2017-01-02"}
    if children_structure:
        child["structure_id"] = children_structure
    return {"identifiant": _unique("MAT"), "responsable": {"first_name": "Marc", "last_name": "ROCHE"},
            "structure_id": w["structure"], "children": [child]}


def _closure(w: dict, activity: str) -> dict:
    return {"start": CLOSED_DAY, "end": CLOSED_DAY, "label": "Fermeture", "activity_id": activity}


def _payment(family: str, structure: str) -> dict:
    return {"family_id": family, "structure_id": structure, "amount": "1,00", "method": "cash"}


def _tariff(structure: str, activity: str, effective_from: str) -> dict:
    return {"structure_id": structure, "activity_id": activity, "activity_name": "CANTINE",
            "effective_from": effective_from, "brackets": [{"qf_max": None, "price_cents": 350}]}


def _month(w: dict) -> dict:
    return {"family_id": w["family"], "month": INVOICED_MONTH}


CASES: dict[str, Case | tuple[Case, ...]] = {
    # the session and the account: incomplete bodies, so nothing changes
    "POST /api/v1/session": Case(body=lambda w, c: {}),
    "GET /api/v1/session": Case(),
    "DELETE /api/v1/session": Case(fresh_session=True),
    "POST /api/v1/password/required": Case(body=lambda w, c: {}),
    "GET /api/v1/legal": Case(),
    "POST /api/v1/consents": Case(body=lambda w, c: {}),
    "POST /api/v1/password/change": Case(body=lambda w, c: {}),
    "PUT /api/v1/profile/emails": Case(body=lambda w, c: {}),
    "GET /api/v1/structures": Case(),
    "GET /api/v1/status": Case(),
    "GET /api/v1/openapi.json": Case(),
    "GET /api/v1/docs": Case(),
    # a payment backend's notification (issue 19): anyone may call it; an empty one is unreadable (400)
    "GET /api/v1/payments/notification/{structure_id}": Case(owner="structure",
                                                             params=lambda w: {"structure_id": w["structure"]}),
    "POST /api/v1/payments/notification/{structure_id}": Case(owner="structure", raw=b"",
                                                              params=lambda w: {"structure_id": w["structure"]}),
    # structures, families, staff
    "POST /api/v1/structures": Case(body=lambda w, c: {}),
    "PUT /api/v1/structures/{structure_id}/news": Case(
        owner="structure", params=lambda w: {"structure_id": w["structure"]},
        body=lambda w, c: {"news_html": "<p>Le centre ferme à 18 h vendredi.</p>"}, complete=True),
    "POST /api/v1/families": (
        Case(owner="structure", body=_family_in, complete=True),
        # a family of this side's structure with a child in the other's: its staff may not, nor the other's
        Case(owner=ADMIN_ONLY, label="child in the other structure", complete=True,
             body=lambda w, c: _family_in(w, c, children_structure=w["other"]["structure"]))),
    "POST /api/v1/families/import": Case(raw=b""),
    "GET /api/v1/families/{family_id}": Case(owner="family", params=lambda w: {"family_id": w["family"]},
                                             complete=True),
    "POST /api/v1/families/{family_id}/security-update": Case(
        owner="structure", params=lambda w: {"family_id": w["family_unseen"]}, complete=True),
    "POST /api/v1/legal/{kind}": Case(params=lambda w: {"kind": "cgu"}, body=lambda w, c: {}),
    "POST /api/v1/staff": Case(body=lambda w, c: {}),
    # bookings: the family (the side's child and activity)
    "GET /api/v1/booking/children": Case(),
    "POST /api/v1/booking/calendar": Case(owner="family", complete=True,
                                          body=lambda w, c: {"child_id": w["child"], "month": MONTH_KEY}),
    "POST /api/v1/booking/day": Case(owner="family", complete=True,
                                     body=lambda w, c: {"child_id": w["child"], "date": w["day"]}),
    "POST /api/v1/booking/basket/quick": Case(owner="family", complete=True, body=lambda w, c: {
        "child_id": w["child"], "activity_id": w["activity"], "month": MONTH_KEY, "scope": "month"}),
    "POST /api/v1/booking/basket/copy": (
        Case(owner="family", complete=True, body=lambda w, c: {
            "source_child_id": w["child"], "source_activity_id": w["activity"], "start": MONTH.isoformat(),
            "end": MONTH_END.isoformat(), "target_child_id": w["child"], "target_activity_id": w["activity"]}),
        # from the family's child to the other family's: neither family may
        Case(owner=NOBODY, label="into the other family's child", complete=True, body=lambda w, c: {
            "source_child_id": w["child"], "source_activity_id": w["activity"], "start": MONTH.isoformat(),
            "end": MONTH_END.isoformat(), "target_child_id": w["other"]["child"],
            "target_activity_id": w["other"]["activity"]})),
    "POST /api/v1/booking/basket/recap": Case(owner="family", complete=True, body=lambda w, c: {"lines": [_line(w)]}),
    "POST /api/v1/booking/basket/confirm": (
        Case(owner="family", complete=True, body=lambda w, c: {"lines": [_line(w)]}),
        # one basket for both families' children: refused whole
        Case(owner=NOBODY, label="with the other family's child", complete=True,
             body=lambda w, c: {"lines": [_line(w), _line(w["other"])]})),
    "GET /api/v1/booking/follow-up": Case(owner="family", complete=True, query=lambda w: {"child_id": w["child"]}),
    "POST /api/v1/booking/feed": Case(),
    "DELETE /api/v1/booking/feed": Case(),
    # bookings: staff (the side's structure, activity, session and request)
    "POST /api/v1/booking/activities": Case(owner="structure", complete=True, body=lambda w, c: {
        "structure_id": w["structure"], "name": _unique("Atelier"), "start_time": "16:30", "end_time": "18:00"}),
    "POST /api/v1/booking/activities/{activity_id}/openings": Case(
        owner="structure", complete=True, params=lambda w: {"activity_id": w["activity"]},
        body=lambda w, c: {"weekdays": [0], "period": "all", "start": MONTH.isoformat(),
                           "end": MONTH_END.isoformat()}),
    "POST /api/v1/booking/structures/{structure_id}/closures": (
        Case(owner="structure", complete=True, params=lambda w: {"structure_id": w["structure"]},
             body=lambda w, c: _closure(w, w["activity"])),
        # the side's structure, the other structure's activity
        Case(owner=NOBODY, label="of the other structure's activity", complete=True,
             params=lambda w: {"structure_id": w["structure"]}, body=lambda w, c: _closure(w, w["other"]["activity"]))),
    # declared absences (issue 19): declaring on a day without booking changes nothing (422 for the family)
    "POST /api/v1/booking/absences": Case(owner="family", body=lambda w, c: {
        "child_id": w["child"], "start": w["unbooked_day"], "end": w["unbooked_day"],
        "certificate_id": w["certificate"]}),
    "GET /api/v1/booking/absences": Case(),
    "GET /api/v1/booking/absences/{absence_id}": Case(owner="family", complete=True,
                                                     params=lambda w: {"absence_id": w["absence"]}),
    "POST /api/v1/booking/absences/{absence_id}/decision": Case(
        owner="structure", complete=True, conflict=True, params=lambda w: {"absence_id": w["absence"]},
        body=lambda w, c: {"decision": "accept"}),
    "GET /api/v1/booking/structures/{structure_id}/absences": Case(
        owner="structure", complete=True, params=lambda w: {"structure_id": w["structure"]}),
    "GET /api/v1/booking/structures/{structure_id}/absence-rule": Case(
        owner="structure", complete=True, params=lambda w: {"structure_id": w["structure"]}),
    "PUT /api/v1/booking/structures/{structure_id}/absence-rule": Case(
        owner="structure", complete=True, params=lambda w: {"structure_id": w["structure"]},
        body=lambda w, c: {"waiting_days": 1}),
    "POST /api/v1/dossier/certificates": Case(owner="family", query=lambda w: {"child_id": w["child"]}, raw=b""),
    "GET /api/v1/dossier/certificates/{certificate_id}": Case(
        owner="family", complete=True, params=lambda w: {"certificate_id": w["certificate"]}),
    # mass closures (a past day: no booking of the test is cancelled) and their re-opening
    "POST /api/v1/booking/structures/{structure_id}/mass-closures": (
        Case(owner="structure", complete=True, params=lambda w: {"structure_id": w["structure"]},
             body=lambda w, c: _closure(w, w["activity"])),
        Case(owner=NOBODY, label="of the other structure's activity", complete=True,
             params=lambda w: {"structure_id": w["structure"]}, body=lambda w, c: _closure(w, w["other"]["activity"]))),
    "GET /api/v1/booking/structures/{structure_id}/mass-closures": Case(
        owner="structure", complete=True, params=lambda w: {"structure_id": w["structure"]}),
    "DELETE /api/v1/booking/mass-closures/{closure_id}": Case(
        owner="structure", complete=True, conflict=True, params=lambda w: {"closure_id": w["closure"]}),
    "PUT /api/v1/booking/sessions/{session_id}/capacity": Case(
        owner="structure", complete=True, params=lambda w: {"session_id": w["session"]},
        body=lambda w, c: {"capacity": 50}),
    "GET /api/v1/booking/sessions": Case(owner="structure", complete=True, query=lambda w: {
        "activity_id": w["activity"], "from": MONTH.isoformat(), "to": MONTH_END.isoformat()}),
    "POST /api/v1/booking/enrolments": (
        Case(owner="family", complete=True, body=lambda w, c: {"child_id": w["child"], "activity_id": w["activity"]}),
        # the other structure's family's child in the side's activity: refused with a 422 that says why
        # (services/booking/access.py, NOT_IN_STRUCTURE), even to an administrator
        Case(owner=NOBODY, label="child of the other structure", complete=True, refused=(403, 404, 422),
             body=lambda w, c: {"child_id": w["other"]["child"], "activity_id": w["activity"]})),
    "GET /api/v1/booking/requests": Case(owner="structure", complete=True,
                                         query=lambda w: {"structure_id": w["structure"]}),
    "POST /api/v1/booking/requests/{booking_id}/decision": Case(
        owner="structure", complete=True, conflict=True, params=lambda w: {"booking_id": w["request"]},
        body=lambda w, c: {"decision": "refuse", "reason": "Atelier complet."}),
    "POST /api/v1/booking/transmissions": Case(),
    # billing (the side's invoice, the structure's tariffs and desk)
    "POST /api/v1/billing/tariffs": (
        # a new version of the price of the structure's canteen (one of the allowed callers publishes it,
        # the others find it published)
        Case(owner="structure", complete=True, conflict=True,
             body=lambda w, c: _tariff(w["structure"], w["canteen"], "2026-09-01")),
        # the side's structure, the other structure's canteen: its price is not theirs to set
        Case(owner=NOBODY, label="of the other structure's activity", complete=True,
             body=lambda w, c: _tariff(w["structure"], w["other"]["canteen"], "2026-10-01"))),
    "GET /api/v1/billing/consumptions": Case(owner="family", complete=True, query=_month),
    "GET /api/v1/billing/consumptions/export.csv": Case(owner="family", complete=True, query=_month),
    "GET /api/v1/billing/consumptions/export.pdf": Case(owner="family", complete=True, query=_month),
    "GET /api/v1/billing/invoices": Case(owner="family", complete=True, query=lambda w: {"family_id": w["family"]}),
    "GET /api/v1/billing/invoices/{invoice_id}/pdf": Case(owner="family", complete=True,
                                                          params=lambda w: {"invoice_id": w["invoice"]}),
    "POST /api/v1/billing/invoices/issue": Case(body=lambda w, c: {}),
    "POST /api/v1/billing/payments": (
        Case(owner="family", complete=True, body=lambda w, c: _payment(w["family"], w["structure"])),
        # the other structure's family at the side's desk: it has nothing there
        Case(owner=NOBODY, label="family of the other structure", complete=True,
             body=lambda w, c: _payment(w["other"]["family"], w["structure"]))),
    "POST /api/v1/billing/payments/online": Case(owner="family", complete=True, conflict=True, body=lambda w, c: {
        "invoice_id": w["invoice"]}),
    "GET /api/v1/billing/payments/online": Case(complete=True),
    "GET /api/v1/billing/payment-backends/{structure_id}": Case(
        owner="structure", complete=True, params=lambda w: {"structure_id": w["structure"]}),
    "PUT /api/v1/billing/payment-backends/{structure_id}": Case(
        owner="structure", complete=True, params=lambda w: {"structure_id": w["structure"]},
        body=lambda w, c: {"backend": "dummy", "options": {"origin": "Portail"}}),
    # the automatic reminders (issue 19): a family's own choice; the campaign's closing day (an administrator's,
    # given a day outside the school year on purpose: refused with a 400 that only the administrator is told)
    "GET /api/v1/notify/reminders": Case(complete=True),
    "PUT /api/v1/notify/reminders": Case(complete=True, body=lambda w, c: {"receive": True}),
    "PUT /api/v1/dossier/campaigns/{school_year}/closing": Case(params=lambda w: {"school_year": "2026-2027"},
                                                                body=lambda w, c: {"closes_on": "1999-01-01"}),
    # the « attestations de frais de garde » (issue 19): the side's child (six or more: no certificate, so its PDF
    # is asked for an invalid year, which only an allowed caller is told), the structure's settings and years
    "GET /api/v1/billing/tax-certificates": Case(complete=True),
    "GET /api/v1/billing/tax-certificates/{structure_id}/{year}/{child_id}/pdf": Case(
        owner="family", params=lambda w: {"structure_id": w["structure"], "year": "1999", "child_id": w["child"]}),
    "GET /api/v1/billing/tax-certificates/staff": Case(owner="structure", complete=True,
                                                       query=lambda w: {"structure_id": w["structure"]}),
    "GET /api/v1/billing/tax-certificates/staff/pdf": Case(owner="structure",
                                                           query=lambda w: {"structure_id": w["structure"], "year": 1999}),
    "PUT /api/v1/billing/tax-certificates/settings": (
        Case(owner="structure", complete=True, body=lambda w, c: {
            "structure_id": w["structure"], "details": "1 place de la Mairie", "eligible_activity_ids": [w["canteen"]]}),
        # the other structure's activity made eligible here: unknown in this structure, nothing saved
        Case(owner=NOBODY, label="of the other structure's activity", complete=True, body=lambda w, c: {
            "structure_id": w["structure"], "eligible_activity_ids": [w["other"]["canteen"]]})),
    "POST /api/v1/billing/tax-certificates/issue": Case(owner="structure", complete=True, body=lambda w, c: {
        "structure_id": w["structure"], "year": 2020}),
    # the family dossier (the side's sheets, documents, contacts)
    "GET /api/v1/dossier/dossier": Case(),
    "GET /api/v1/dossier/sheets/{sheet_id}": Case(owner="family", complete=True,
                                                  params=lambda w: {"sheet_id": w["famille"]}),
    "PUT /api/v1/dossier/sheets/{sheet_id}/draft": Case(owner="family", params=lambda w: {"sheet_id": w["famille"]},
                                                        body=lambda w, c: {"data": {}}),
    "POST /api/v1/dossier/sheets/{sheet_id}/submit": Case(owner="family", params=lambda w: {"sheet_id": w["famille"]},
                                                          body=lambda w, c: {"data": {}}),
    "POST /api/v1/dossier/sheets/{sheet_id}/documents": Case(owner="family", params=lambda w: {"sheet_id": w["famille"]},
                                                             query=lambda w: {"kind": "justificatif_qf"}, raw=b""),
    "GET /api/v1/dossier/documents/{document_id}": (
        Case(owner="family", complete=True, params=lambda w: {"document_id": w["carnet"]}),
        # a document of a sheet not transmitted: the family's alone
        Case(owner="draft", label="of a draft", complete=True, params=lambda w: {"document_id": w["draft_kept"]})),
    "DELETE /api/v1/dossier/documents/{document_id}": Case(owner="family", complete=True,
                                                           params=lambda w: {"document_id": w["draft_document"]}),
    "GET /api/v1/dossier/contacts": Case(),
    "POST /api/v1/dossier/contacts": Case(body=lambda w, c: {}),
    "PUT /api/v1/dossier/contacts/{contact_id}": Case(owner="family", complete=True,
                                                      params=lambda w: {"contact_id": w["contact"]},
                                                      body=lambda w, c: {"last_name": "ROCHE", "first_name": "Anne",
                                                                         "phone": "0612345678"}),
    "DELETE /api/v1/dossier/contacts/{contact_id}": Case(owner="family", complete=True,
                                                         params=lambda w: {"contact_id": w["other_contact"]}),
    "GET /api/v1/dossier/insurers": Case(),
    "GET /api/v1/dossier/archive": Case(),
    "POST /api/v1/dossier/campaigns": Case(body=lambda w, c: {}),
    "GET /api/v1/dossier/review": Case(),
    "GET /api/v1/dossier/staff/sheets/{sheet_id}": (
        Case(owner="family", complete=True, params=lambda w: {"sheet_id": w["sanitaire"]}),
        Case(owner="draft", label="a draft", params=lambda w: {"sheet_id": w["famille"]})),
    "POST /api/v1/dossier/staff/sheets/{sheet_id}/review": (
        Case(owner="family", complete=True, conflict=True, params=lambda w: {"sheet_id": w["reglement"]},
             body=lambda w, c: {"decision": "approved"}),
        Case(owner="draft", label="a draft", params=lambda w: {"sheet_id": w["famille"]},
             body=lambda w, c: {"decision": "approved"})),
    "GET /api/v1/dossier/audit": Case(owner="family", complete=True, query=lambda w: {"child_id": w["child"]}),
    # mail
    "GET /api/v1/notify/deliveries": Case(),
    "POST /api/v1/notify/digests": Case(),
}
# The writes across the line the issue names: staff of one structure refused on the other's objects.
WRITES_ACROSS = ("POST /api/v1/booking/enrolments", "POST /api/v1/booking/requests/{booking_id}/decision",
                 "POST /api/v1/dossier/staff/sheets/{sheet_id}/review", "POST /api/v1/billing/payments",
                 "POST /api/v1/families/{family_id}/security-update", "PUT /api/v1/structures/{structure_id}/news")


def cases_of(key: str) -> tuple[Case, ...]:
    found = CASES[key]
    return found if isinstance(found, tuple) else (found,)


def sides_of(case: Case) -> tuple[str, ...]:
    """A case naming objects is called on both sides; one naming none, once."""
    return SIDES if case.names_objects else SIDES[:1]


def owners(case: Case, side: str) -> set[str]:
    if not case.names_objects:
        return set(CALLERS)
    if case.across:
        return set(case.owner)
    return OWNERS[{"family": side, "draft": f"{side}-draft", "structure": STRUCTURE_OF[side]}[case.owner]]


def expected_allowed(route: public_api.Route, case: Case, side: str, caller: str) -> bool:
    if public_api.ANONYMOUS in route.roles:
        return True
    return ROLE[caller] in route.roles and caller in owners(case, side)


def verdict(case: Case, caller: str, allowed: bool, status: int) -> str | None:
    """None when the answer is the expected one, else what is wrong."""
    if status >= 500:
        return f"{status}: server error"
    if allowed:
        if case.complete:
            if 200 <= status < 300 or (status == 409 and case.conflict):
                return None
            return f"{status}: expected a success"
        if status in (401, 403, 404) or (400 <= status < 500 and status not in (400, 409, 422)):
            return f"{status}: refused, expected allowed"
        return None
    wanted = (401,) if caller == "anonymous" else case.refused
    return None if status in wanted else f"{status}: expected {' or '.join(map(str, wanted))}"


def matrix() -> list[tuple[public_api.Route, Case, str, str]]:
    """Every (route, case, side, caller) the module calls, in the order of the declarations."""
    return [(route, case, side, caller) for route in public_api.ROUTES for case in cases_of(route.key)
            for side in sides_of(case) for caller in CALLERS]


# -- the world ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("matrix")) as p:
        yield p


async def signed_in(site, login: str, password: str) -> Api:
    api = Api(site.url)
    await api.login(login, password)
    return api


async def build_side(site, amqp_url, staff: Api, parent: Api, family: dict, structure: str) -> dict:
    """One side of the world: a family of `structure` signed in as `parent` (its child, its pending
    request, its transmitted health sheet and house rules with documents, its draft with files, its
    contacts, its consumptions of a past month), the structure's activity and session, and another family
    of the structure that never signs in. The invoice is added once both sides have consumed."""
    unseen = (await staff.call("POST", "/api/v1/families", {
        "identifiant": _unique("FAMC"), "responsable": {"first_name": "Paul", "last_name": "VIDAL"},
        "structure_id": structure,
        "children": [{"first_name": "Tom", "last_name": "VIDAL", "birth_date": "2017-01-02"}]},
        expect=201))["family_id"]
    child = (await parent.call("GET", f"/api/v1/families/{family['family_id']}"))["children"][0]["id"]

    # booking: an activity open for the month, one with requests to approve, and the family's pending request
    async def activity(**extra) -> str:
        return (await staff.call("POST", "/api/v1/booking/activities", {
            "structure_id": structure, "name": _unique("Activité"), "start_time": "11:30", "end_time": "13:30",
            **extra}, expect=201))["id"]

    plain, on_request = await activity(), await activity(needs_approval=True)
    for act in (plain, on_request):
        await staff.call("POST", f"/api/v1/booking/activities/{act}/openings", {
            "weekdays": [0, 1, 2, 3, 4], "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()},
            expect=201)

    async def children_known():
        return (await parent.call("GET", "/api/v1/booking/children"))["children"] or None

    await eventually(children_known)
    calendar = await parent.call("POST", "/api/v1/booking/calendar", {
        "child_id": child, "month": MONTH_KEY, "activity_id": on_request})
    days = [d["date"] for d in calendar["days"] if d["state"] != "closed"]
    asked = await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child, "activity_id": on_request, "date": days[0], "action": "reserve"}]})
    assert asked["results"][0]["outcome"] == "pending", asked
    sessions = await staff.call("GET", f"/api/v1/booking/sessions?activity_id={plain}&from={MONTH.isoformat()}"
                                       f"&to={MONTH_END.isoformat()}")
    # a declared absence on an accepted day, with its medical certificate (issue 19)
    booked = await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child, "activity_id": plain, "date": days[2], "action": "reserve"}]})
    assert booked["results"][0]["outcome"] == "accepted", booked
    async with parent.http.post(f"{parent.base}/api/v1/dossier/certificates", params={"child_id": child}, data=PDF,
                                headers={"X-CSRF-Token": parent.csrf, "Content-Type": "application/octet-stream",
                                         "X-Filename": "certificat.pdf"}) as resp:
        assert resp.status == 201, await resp.text()
        certificate = (await resp.json())["id"]
    absence = (await parent.call("POST", "/api/v1/booking/absences", {
        "child_id": child, "start": days[2], "end": days[2], "certificate_id": certificate}, expect=201))["id"]
    # a mass closure of a far day (no session yet), to be re-opened before it
    closure = (await staff.call("POST", f"/api/v1/booking/structures/{structure}/mass-closures", {
        "start": FAR_DAY, "end": FAR_DAY, "label": "Grève", "activity_id": plain}, expect=201))["id"]

    # dossier: a transmitted health sheet with its documents, transmitted house rules, a draft with files
    mine = await dossier_of(parent)
    health, rules, famille = sheet(mine, "sanitaire"), sheet(mine, "reglement"), sheet(mine, "famille")
    carnet = await upload(parent, health["id"], "carnet_vaccination", PDF, "carnet.pdf")
    await upload(parent, health["id"], "ordonnance", PNG, "ordonnance.png")
    await parent.call("POST", f"/api/v1/dossier/sheets/{health['id']}/submit", {"data": HEALTH})
    await parent.call("POST", f"/api/v1/dossier/sheets/{rules['id']}/submit", {"data": RULES})
    draft_document = await upload(parent, famille["id"], "justificatif_qf", PDF, "avis.pdf")
    draft_kept = await upload(parent, famille["id"], "justificatif_qf", PDF, "avis-2.pdf")
    contact = (await parent.call("POST", "/api/v1/dossier/contacts", {
        "last_name": "ROCHE", "first_name": "Anne"}, expect=201))["id"]
    other_contact = (await parent.call("POST", "/api/v1/dossier/contacts", {
        "last_name": "ROCHE", "first_name": "Luc"}, expect=201))["id"]

    # billing: canteen days of a past month, to be invoiced
    canteen = str(uuid.uuid4())
    await staff.call("POST", "/api/v1/billing/tariffs", {
        "structure_id": structure, "activity_id": canteen, "activity_name": "CANTINE", "effective_from": "2020-01-01",
        "brackets": [{"qf_max": None, "price_cents": 300}]}, expect=201)
    # online payment through eopayment's dummy backend (development mode, as the tests run)
    await staff.call("PUT", f"/api/v1/billing/payment-backends/{structure}", {"backend": "dummy", "options": {}},
                     expect=204)
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=family["family_id"], structure_id=structure, structure_name="",
        transmitted_at=dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC), lines=[TransmittedLine(
            booking_id=uuid.uuid4(), child_id=child, child_first_name="Léa", child_last_name="MOREAU",
            activity_id=canteen, activity_name="CANTINE", date=dt.date(2026, 2, 10), kind="reserve",
            outcome="accepted")]))
    return {"family": family["family_id"], "family_unseen": unseen, "structure": structure, "child": child,
            "activity": plain, "day": days[1], "request": asked["results"][0]["booking_id"],
            "session": sessions["sessions"][0]["id"], "famille": famille["id"], "sanitaire": health["id"],
            "reglement": rules["id"], "carnet": carnet["id"], "draft_document": draft_document["id"],
            "draft_kept": draft_kept["id"], "contact": contact, "other_contact": other_contact, "canteen": canteen,
            "closure": closure, "absence": absence, "certificate": certificate, "unbooked_day": days[4]}


@pytest.fixture(scope="module")
async def world(site, amqp_url):
    """Two structures and their staff, two families, and every object a route names on either side,
    created once."""
    admin = await signed_in(site, "admin.portail", "Demo-Admin-2027")
    staff_x = await signed_in(site, "agent.carteville", "Demo-Agent-2027")
    y = (await admin.call("POST", "/api/v1/structures", {"name": _unique("Centre de loisirs")}, expect=201))["id"]
    login_y = _unique("agent.y")
    created = await admin.call("POST", "/api/v1/staff", {
        "login": login_y, "display_name": "Agent Y", "email": f"{login_y}@example.fr", "structure_ids": [y]},
        expect=201)
    conn = await site.db()
    try:  # past the first sign-in's password renewal, which is not what this test is about
        await conn.execute("UPDATE accounts SET must_change_password = false WHERE login = $1", login_y)
    finally:
        await conn.close()
    staff_y = await signed_in(site, login_y, created["initial_password"])
    (family_a, a), (family_b, b) = await asyncio.gather(family_in(site, staff_x, X, "Léa"),
                                                        family_in(site, staff_y, y, "Jade"))
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    side_a, side_b = await asyncio.gather(build_side(site, amqp_url, staff_x, family_a, a, X),
                                          build_side(site, amqp_url, staff_y, family_b, b, y))

    # billing: both families' consumed month, invoiced (one issue for every family)
    async def consumed(family_id: str):
        data = await admin.call("GET", f"/api/v1/billing/consumptions?family_id={family_id}"
                                       f"&month={INVOICED_MONTH}", expect=None)
        return isinstance(data, dict) and data.get("lines")

    for side in (side_a, side_b):
        await eventually(lambda side=side: consumed(side["family"]))
    await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": INVOICED_MONTH})
    for side in (side_a, side_b):
        invoices = (await admin.call("GET", f"/api/v1/billing/invoices?family_id={side['family']}"))["invoices"]
        assert len(invoices) == 1 and invoices[0]["total_cents"] == 300, invoices
        side["invoice"] = invoices[0]["id"]

    apis = {"anonymous": Api(site.url), "family_a": family_a, "family_b": family_b, "staff_x": staff_x,
            "staff_y": staff_y, "admin": admin}
    credentials = {"family_a": (a["identifiant"], "Goûter-Mercredi-2027"),
                   "family_b": (b["identifiant"], "Goûter-Mercredi-2027"),
                   "staff_x": ("agent.carteville", "Demo-Agent-2027"),
                   "staff_y": (login_y, created["initial_password"]), "admin": ("admin.portail", "Demo-Admin-2027")}
    common = {"url": site.url}
    yield {"url": site.url, "apis": apis, "credentials": credentials, "sides": {"A": side_a, "B": side_b},
           "views": {"A": {**common, **side_a, "other": side_b}, "B": {**common, **side_b, "other": side_a}}}
    for api in apis.values():
        await api.close()


# -- the matrix --------------------------------------------------------------------------------------------------
def test_every_declared_route_says_who_may_call_it():
    assert public_api.check() == []
    for route in public_api.ROUTES:
        assert route.roles and set(route.roles) <= set(public_api.ROLES), route.key


def test_every_declared_route_has_a_case_here():
    declared = {r.key for r in public_api.ROUTES}
    assert declared - set(CASES) == set(), "declared routes without a case in the matrix"
    assert set(CASES) - declared == set(), "cases for routes that are not declared"


# Path parameters that name something nobody owns: a legal text's kind, a school year (the dossier campaign
# is the administrator's, for every structure).
PARAMETERS_NAMING_NO_OWNED_OBJECT = {"POST /api/v1/legal/{kind}", "PUT /api/v1/dossier/campaigns/{school_year}/closing"}


def test_the_matrix_crosses_the_ownership_line_both_ways():
    """From the expectations alone: on every object case, each family is refused the other's objects
    and each structure's staff the other's; the administrator is allowed on both sides or neither."""
    calls = matrix()
    for route in public_api.ROUTES:
        for case in cases_of(route.key):
            if route.path_params and route.key not in PARAMETERS_NAMING_NO_OWNED_OBJECT:
                assert case.names_objects, f"{route.key}: a path parameter names an object, say whose"
            if not case.names_objects or case.across or public_api.ANONYMOUS in route.roles:
                continue  # (a route anybody may call, e.g. a payment backend's notification, has no line)
            allowed = {(side, caller): expected_allowed(route, case, side, caller)
                       for side in SIDES for caller in CALLERS}
            assert not allowed["B", "family_a"] and not allowed["A", "family_b"], route.key
            assert not allowed["B", "staff_x"] and not allowed["A", "staff_y"], route.key
            assert allowed["A", "admin"] == allowed["B", "admin"], route.key
            assert allowed["A", "family_a"] == allowed["B", "family_b"], route.key
            assert allowed["A", "staff_x"] == allowed["B", "staff_y"], route.key
    for key in WRITES_ACROSS:
        route, case = public_api.BY_KEY[key], cases_of(key)[0]
        assert case.complete and public_api.STAFF in route.roles, key
        assert expected_allowed(route, case, "A", "staff_x") and not expected_allowed(route, case, "B", "staff_x")
        assert expected_allowed(route, case, "B", "staff_y") and not expected_allowed(route, case, "A", "staff_y")
        assert expected_allowed(route, case, "A", "admin") and expected_allowed(route, case, "B", "admin")
    assert len({(r.key, c.label, s, who) for r, c, s, who in calls}) == len(calls)


def test_nothing_is_registered_under_api_v1_without_a_declaration():
    app = build_app(GatewaySettings(identity_secret=SECRET, metrics_token=METRICS_TOKEN, cookie_secure=False,
                                    development=True))
    registered = {f"{route.method} {resource.canonical}"
                  for resource in app.router.resources() if resource.canonical.startswith("/api/")
                  for route in resource if route.method != "HEAD"}
    assert registered - set(public_api.BY_KEY) == set(), "routes under /api without a declaration"
    assert set(public_api.BY_KEY) - registered == set(), "declared routes the gateway does not register"


def _request_of(route: public_api.Route, case: Case, w: dict, caller: str) -> tuple[str, dict, Any]:
    return route.path.format(**case.params(w)), case.query(w), case.body(w, caller)


def _objects(side: dict) -> set[str]:
    return {str(v) for k, v in side.items() if k not in ("day",) and isinstance(v, str) and len(v) == 36}


async def _call(w: dict, route: public_api.Route, case: Case, side: str, caller: str) -> tuple[int, str]:
    api = w["apis"][caller]
    fresh = None
    if case.fresh_session and caller != "anonymous":
        fresh = api = await signed_in_api(w, caller)
    path, query, body = _request_of(route, case, w["views"][side], caller)
    headers = {"X-CSRF-Token": api.csrf}
    kwargs: dict[str, Any] = {"params": query or None, "headers": headers}
    if case.raw is not None:
        kwargs["data"] = case.raw
        headers["Content-Type"] = "application/octet-stream"
    elif body is not None:
        kwargs["json"] = body
    try:
        async with api.http.request(route.method, w["url"] + path, **kwargs) as resp:
            text = (await resp.read())[:300].decode(errors="replace")
            return resp.status, text
    finally:
        if fresh is not None:
            await fresh.close()


async def signed_in_api(w: dict, caller: str) -> Api:
    api = Api(w["url"])
    await api.login(*w["credentials"][caller])
    return api


def test_each_case_names_the_objects_of_its_side(world):
    """A case said to name no object names none of the world's; a case on one side names that side's
    objects and none of the other's (unless it is a case across the line)."""
    objects = {side: _objects(world["sides"][side]) for side in SIDES}
    for route, case, side, caller in matrix():
        if caller != "admin":
            continue
        named = json.dumps(_request_of(route, case, world["views"][side], caller), default=str)
        mine, theirs = objects[side], objects["B" if side == "A" else "A"]
        if not case.names_objects:
            assert not any(o in named for o in mine | theirs), f"{route.key}: names an object, say whose"
            continue
        assert any(o in named for o in mine), f"{route.key} {case.label} on {side}: names none of its side's"
        if not case.across:
            assert not any(o in named for o in theirs), f"{route.key} on {side}: names the other side's objects"
        else:
            assert any(o in named for o in theirs), f"{route.key} {case.label}: does not cross the line"


async def test_every_route_with_every_caller_on_every_side(world):
    calls = matrix()
    answers = []
    for start in range(0, len(calls), BATCH):
        answers += await asyncio.gather(*(_call(world, route, case, side, caller)
                                          for route, case, side, caller in calls[start:start + BATCH]))
    wrong = []
    for (route, case, side, caller), (status, text) in zip(calls, answers, strict=True):
        problem = verdict(case, caller, expected_allowed(route, case, side, caller), status)
        if problem:
            what = f"{route.key}{f' ({case.label})' if case.label else ''}"
            on = f"objects of {side}/{STRUCTURE_OF[side]}" if case.names_objects else "no object"
            wrong.append(f"{what} on {on} as {caller}: {problem} — {text[:160]}")
    assert not wrong, f"{len(wrong)} wrong of {len(calls)}:\n" + "\n".join(wrong)
    # the matrix was not vacuous: every caller was both allowed and refused on objects of their own side,
    # the administrator on both sides, and the families and staff only refused on the other side's
    own = {"family_a": "A", "family_b": "B", "staff_x": "A", "staff_y": "B"}
    for caller in CALLERS[1:]:
        for side in SIDES:
            outcomes = {expected_allowed(route, case, s, caller) for route, case, s, c in calls
                        if c == caller and s == side and case.names_objects and not case.across
                        and public_api.ANONYMOUS not in route.roles}
            mine = caller == "admin" or own[caller] == side
            assert outcomes == ({True, False} if mine else {False}), (caller, side)


async def test_the_lists_naming_no_object_show_only_the_callers_own(world):
    """The routes called once (no object named) answer with the caller's own: a family's children,
    dossier and contacts; the sheets to review and the mail log of the staff's structures."""
    apis, a, b = world["apis"], world["sides"]["A"], world["sides"]["B"]
    for caller, mine, theirs in (("family_a", a, b), ("family_b", b, a)):
        api = apis[caller]
        children = {c["id"] for c in (await api.call("GET", "/api/v1/booking/children"))["children"]}
        assert mine["child"] in children and theirs["child"] not in children, caller
        sheets = {s["id"] for s in (await api.call("GET", "/api/v1/dossier/dossier"))["sheets"]}
        assert mine["famille"] in sheets and theirs["famille"] not in sheets, caller
        contacts = {c["id"] for c in (await api.call("GET", "/api/v1/dossier/contacts"))["contacts"]}
        assert mine["contact"] in contacts and theirs["contact"] not in contacts, caller
    for caller, mine, theirs in (("staff_x", a, b), ("staff_y", b, a)):
        review = {s["id"] for s in (await apis[caller].call("GET", "/api/v1/dossier/review"))["sheets"]}
        assert mine["sanitaire"] in review and theirs["sanitaire"] not in review, caller
        for status in ("pending", "sent", "failed"):
            logged = (await apis[caller].call("GET", f"/api/v1/notify/deliveries?status={status}"))["deliveries"]
            assert {d["structure_id"] for d in logged} <= {mine["structure"]}, (caller, status)
    review = {s["id"] for s in (await apis["admin"].call("GET", "/api/v1/dossier/review"))["sheets"]}
    assert {a["sanitaire"], b["sanitaire"]} <= review


async def test_a_refusal_by_role_is_a_french_problem(world):
    api = world["apis"]["family_a"]
    async with api.http.post(world["url"] + "/api/v1/booking/transmissions",
                             headers={"X-CSRF-Token": api.csrf}) as resp:
        assert resp.status == 403 and resp.content_type == "application/problem+json"
        body = await resp.json()
    assert body["detail"] == "Accès refusé : cette fonction est réservée aux administrateurs du portail."
    async with aiohttp.ClientSession() as http, http.get(world["url"] + "/api/v1/booking/children") as resp:
        assert resp.status == 401 and "Connectez-vous" in (await resp.json())["detail"]


async def test_an_undeclared_internal_route_is_unreachable(world):
    """booking's activity list, school holidays and secret-link feed, auth's session plumbing: internal."""
    admin = world["apis"]["admin"]
    for method, path in (("GET", f"/api/v1/booking/activities?structure_id={X}"),
                         ("POST", f"/api/v1/booking/structures/{X}/school-holidays"),
                         ("GET", "/api/v1/booking/feed/abc"), ("POST", "/api/v1/sessions/resolve"),
                         ("POST", "/api/v1/sessions/structure"), ("GET", "/api/v1/auth/v1/legal")):
        async with admin.http.request(method, world["url"] + path, json={},
                                      headers={"X-CSRF-Token": admin.csrf}) as resp:
            assert resp.status in (404, 405), (method, path, resp.status)
