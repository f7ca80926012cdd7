"""Gestion: the dossier sheets transmitted for review, one sheet read (labelled with the published sheet
forms, contracts/dossier_sheets.py) and approved or refused with a reason sent to the family."""

from __future__ import annotations

import re
import typing

from aiohttp import web
from pydantic import BaseModel

from contracts.dossier_sheets import LABELS, MODELS, STATE_LABELS, SheetKind, SheetState
from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import REFUSED, done_message, messages_of, redirect
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import FormError, uuid_or_404
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


def _nested_model(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found:
            return found
    return None


def _scalar(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        y, m, d = value.split("-")
        return f"{d}/{m}/{y}"
    if isinstance(value, str) and re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", value):
        return value[:5]
    return str(value)


def sheet_rows(data: dict, model: type[BaseModel] | None, depth: int = 0) -> list[dict]:
    """The sheet's data as (depth, label, value) rows, labelled with the sheet's French field descriptions."""
    rows: list[dict] = []
    fields = model.model_fields if model else {}
    for name in list(fields) + [k for k in data if k not in fields]:
        if name not in data:
            continue
        value = data[name]
        info = fields.get(name)
        label = (info.description if info and info.description else name.replace("_", " ").capitalize())
        nested = _nested_model(info.annotation) if info else None
        if isinstance(value, dict):
            rows.append({"depth": depth, "label": label, "value": "" if value else "—"})
            if nested:
                rows += sheet_rows(value, nested, depth + 1)
            else:
                rows += [{"depth": depth + 1, "label": str(k), "value": _scalar(v)} for k, v in value.items()]
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            rows.append({"depth": depth, "label": label, "value": "" if value else "—"})
            for i, item in enumerate(value, 1):
                rows.append({"depth": depth + 1, "label": f"n° {i}", "value": ""})
                rows += sheet_rows(item if isinstance(item, dict) else {"valeur": item}, nested, depth + 2)
        elif isinstance(value, list):
            rows.append({"depth": depth, "label": label, "value": ", ".join(_scalar(v) for v in value) or "—"})
        else:
            rows.append({"depth": depth, "label": label, "value": _scalar(value)})
    return rows


@signed_in(roles=STAFF)
async def sheets_page(request: web.Request, account: Account) -> web.Response:
    sheets = await clients_of(request).dossier.review_queue(account.identity)
    return render(request, "gestion_dossiers.html", section="dossiers", sheets=sheets or [],
                  no_campaign=sheets is None, done=done_message(request))


async def _sheet_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    sheet_id = str(uuid_or_404(request.match_info["sheet_id"]))
    dossier = clients_of(request).dossier
    sheet = await dossier.staff_sheet(account.identity, sheet_id)
    try:
        kind = SheetKind(sheet["kind"])
        model, label = MODELS[kind], LABELS[kind]
    except ValueError:
        model, label = None, sheet["kind"]
    listed = next((s for s in await dossier.review_queue(account.identity) or [] if s["id"] == sheet_id), None)
    try:
        state_label = STATE_LABELS[SheetState(sheet["state"])]
    except (ValueError, KeyError):
        state_label = sheet["state"]
    return render(request, "gestion_dossier.html", status=status, section="dossiers", sheet=sheet, label=label,
                  state_label=state_label, rows=sheet_rows(sheet.get("data") or {}, model), listed=listed, **extra)


@signed_in(roles=STAFF)
async def sheet_page(request: web.Request, account: Account) -> web.Response:
    return await _sheet_page(request, account)


@signed_in(roles=STAFF)
async def sheet_review(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sheet_id = str(uuid_or_404(request.match_info["sheet_id"]))
    decision = form.get("decision")
    reason = form.get("motif", "").strip()[:1000]
    try:
        if decision not in ("approved", "refused"):
            raise FormError("Choisissez Valider ou Refuser.")
        if decision == "refused" and not reason:
            raise FormError("Indiquez le motif du refus : il est envoyé à la famille.")
        await clients_of(request).dossier.review(account.identity, sheet_id, decision, reason or None)
    except REFUSED as exc:
        return await _sheet_page(request, account, status=422, errors=messages_of(exc), motif=reason)
    raise redirect("/gestion/dossiers", "dossier")


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion/dossiers", sheets_page)
    app.router.add_get("/gestion/dossiers/{sheet_id}", sheet_page)
    app.router.add_post("/gestion/dossiers/{sheet_id}", sheet_review)
