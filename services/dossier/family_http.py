"""dossier's internal routes for a family's page in Gestion (thin, like http.py): the state of its sheets,
and the families found by their address for staff's search."""

from __future__ import annotations

from aiohttp import web

from contracts.dossier_sheets import LABELS, STATE_LABELS
from kit.http import identity_of, json_response, path_uuid
from services.dossier.http import _store
from services.dossier.service import family_index


async def family_sheets(request: web.Request) -> web.Response:
    found = await family_index.family_sheets(_store(request), identity_of(request),
                                             path_uuid(request, "family_id", "Famille"))

    def child_name(child_id) -> str | None:
        child = found.children.get(child_id)
        return f"{child.last_name} {child.first_name}" if child else None

    return json_response({"school_year": found.school_year, "address": found.address, "sheets": [
        {"id": str(s.id), "kind": s.kind.value, "label": LABELS[s.kind], "state": s.state.value,
         "state_label": STATE_LABELS[s.state], "child": child_name(s.child_id),
         "submitted_at": s.submitted_at.isoformat() if s.submitted_at else None,
         "refusal_reason": s.refusal_reason, "readable": readable} for s, readable in found.sheets]})


async def families_at_address(request: web.Request) -> web.Response:
    text = request.query.get("q", "")[:200]
    found = await family_index.families_at_address(_store(request), identity_of(request), text)
    return json_response({"family_ids": [str(f) for f in found]})


def routes(app: web.Application) -> None:
    app.router.add_get("/v1/staff/families/{family_id}/sheets", family_sheets)
    app.router.add_get("/v1/staff/family-addresses", families_at_address)
