"""billing's internal API of the « attestations de frais de garde », thin: a family's certificates and one
certificate's PDF; for staff, their structure's settings (eligible activities, details), a year's list, its
issue and all its certificates in one PDF (services/billing/service/tax_certificates.py)."""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, Field

from kit import clock
from kit.fr import euros
from kit.http import identity_of, json_response, path_uuid, read_model
from kit.service import APP_KEY
from services.billing.domain.errors import BadRequest, Unknown
from services.billing.service import tax_certificates as tax
from services.billing.store import Store
from services.billing.tax_pdf import certificates_pdf


def _store(request: web.Request) -> Store:
    return Store(request.app[APP_KEY].pool)


def _structure(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.query["structure_id"])
    except (KeyError, ValueError):
        raise BadRequest("Précisez la structure (paramètre structure_id).") from None


def _year_json(found: tax.YearCertificates, family_view: bool = False) -> dict:
    return {
        "structure_id": str(found.structure_id), "structure_name": found.structure_name, "year": found.year,
        "until": found.until.isoformat(), "issued_on": found.issued_on.isoformat() if found.issued_on else None,
        "total_cents": found.total_cents, "total": euros(found.total_cents),
        "certificates": [{
            "child_id": str(c.child.id), "first_name": c.child.first_name, "last_name": c.child.last_name,
            "birth_date": c.child.birth_date.isoformat(),
            **({} if family_view else {"family_id": str(c.child.family_id),
                                       "family_label": found.family_labels.get(c.child.family_id, "")}),
            "total_cents": c.total_cents, "total": euros(c.total_cents),
            "lines": [{"activity_id": str(a), "activity": name, "amount_cents": cents, "amount": euros(cents)}
                      for a, name, cents in c.lines]} for c in found.certificates]}


def _pdf(found: tax.YearCertificates, name: str) -> web.Response:
    return web.Response(body=certificates_pdf(found), content_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


# -- the family ----------------------------------------------------------------------------------------------
async def family_certificates(request: web.Request) -> web.Response:
    years = await tax.of_family(_store(request), identity_of(request), clock.paris_today())
    return json_response({"years": [_year_json(y, family_view=True) for y in years]})


async def certificate_pdf(request: web.Request) -> web.Response:
    structure_id = path_uuid(request, "structure_id", "Structure")
    child_id = path_uuid(request, "child_id", "Enfant")
    found = await tax.one(_store(request), identity_of(request), structure_id, request.match_info["year"], child_id,
                          clock.paris_today())
    return _pdf(found, f"attestation-frais-de-garde-{found.year}-{found.certificates[0].child.first_name}")


# -- staff -----------------------------------------------------------------------------------------------------
async def structure_certificates(request: web.Request) -> web.Response:
    store, who, today = _store(request), identity_of(request), clock.paris_today()
    structure_id = _structure(request)
    settings = await tax.settings(store, who, structure_id)
    found = await tax.year_of(store, who, structure_id, request.query.get("year"), today)
    return json_response({
        **_year_json(found), "details": settings.details,
        "activities": [{"activity_id": str(a), "name": n, "eligible": e} for a, n, e in settings.activities],
        "issued_years": [{"year": y, "issued_on": on.isoformat()} for y, on in settings.issued]})


async def structure_pdf(request: web.Request) -> web.Response:
    found = await tax.year_of(_store(request), identity_of(request), _structure(request), request.query.get("year"),
                              clock.paris_today())
    if not found.certificates:
        raise Unknown("Aucune attestation pour cette année.")
    return _pdf(found, f"attestations-frais-de-garde-{found.year}")


class SettingsIn(BaseModel):
    structure_id: uuid.UUID
    details: str = Field(default="", max_length=tax.MAX_DETAILS)
    eligible_activity_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


async def save_settings(request: web.Request) -> web.Response:
    body = await read_model(request, SettingsIn)
    await tax.save_settings(_store(request), identity_of(request), body.structure_id, body.details,
                            body.eligible_activity_ids)
    return web.Response(status=204)


class IssueIn(BaseModel):
    structure_id: uuid.UUID
    year: int | None = Field(default=None, description="AAAA, une année commencée ; par défaut l'année dernière")


async def issue(request: web.Request) -> web.Response:
    body = await read_model(request, IssueIn)
    found, now = await tax.issue(_store(request), identity_of(request), body.structure_id, body.year,
                                 clock.paris_today())
    return json_response({"year": found.year, "issued": now, "certificates": len(found.certificates),
                          "total_cents": found.total_cents, "total": euros(found.total_cents)})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/tax-certificates", family_certificates)
    r.add_get("/v1/tax-certificates/{structure_id}/{year}/{child_id}/pdf", certificate_pdf)
    r.add_get("/v1/tax-certificates/staff", structure_certificates)
    r.add_get("/v1/tax-certificates/staff/pdf", structure_pdf)
    r.add_put("/v1/tax-certificates/settings", save_settings)
    r.add_post("/v1/tax-certificates/issue", issue)
