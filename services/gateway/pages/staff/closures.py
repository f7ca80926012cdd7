"""Gestion (issue 19): exceptional closures (strike, weather, a closed school) — close the structure or one
activity for a day or a range, every booking on those days cancelled and each family told by one mail — and
re-open one before its first day; declared absences — read the medical certificate, accept (« absence
justifiée ») or refuse with a reason — and the structure's waiting period."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import (
    REFUSED,
    done_message,
    messages_of,
    redirect,
    structure_id,
)
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import FormError, uuid_or_404
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account


def _french(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


async def _closures_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    booking = clients_of(request).booking
    sid = structure_id(account)
    closures = await booking.mass_closures(account.identity, sid)
    for c in closures:
        c["du"], c["au"] = _french(c["start"]), _french(c["end"])
    return render(request, "gestion_fermetures.html", status=status, section="fermetures", closures=closures,
                  activities=await booking.activities(account.identity, sid), done=done_message(request),
                  form=extra.pop("form", {}), **extra)


@signed_in(roles=STAFF)
async def closures_page(request: web.Request, account: Account) -> web.Response:
    return await _closures_page(request, account)


@signed_in(roles=STAFF)
async def close_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    try:
        body = {"start": forms.day(form, "debut", "Du"), "end": forms.day(form, "fin", "Au"),
                "label": forms.text(form, "motif", 120)}
        if len(body["label"]) < 2:
            raise FormError("Motif : au moins 2 caractères (il est dit aux familles).")
        if form.get("activite"):
            body["activity_id"] = str(uuid_or_404(form["activite"]))
        await clients_of(request).booking.close_days(account.identity, structure_id(account), body)
    except REFUSED as exc:
        return await _closures_page(request, account, status=422, errors=messages_of(exc), form=form)
    raise redirect("/gestion/fermetures-exceptionnelles", "fermee")


@signed_in(roles=STAFF)
async def reopen_submit(request: web.Request, account: Account) -> web.Response:
    await checked_form(request)
    try:
        await clients_of(request).booking.reopen(account.identity, str(uuid_or_404(request.match_info["closure_id"])))
    except REFUSED as exc:
        return await _closures_page(request, account, status=422, errors=messages_of(exc))
    raise redirect("/gestion/fermetures-exceptionnelles", "levee")


async def _absences_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    booking = clients_of(request).booking
    sid = structure_id(account)
    absences = await booking.structure_absences(account.identity, sid)
    for a in absences:
        a["du"], a["au"] = _french(a["start"]), _french(a["end"])
    return render(request, "gestion_absences.html", status=status, section="absences",
                  pending=[a for a in absences if a["status"] == "pending"],
                  answered=[a for a in absences if a["status"] != "pending"],
                  waiting_days=await booking.absence_waiting_days(account.identity, sid),
                  done=done_message(request), **extra)


@signed_in(roles=STAFF)
async def absences_page(request: web.Request, account: Account) -> web.Response:
    return await _absences_page(request, account)


@signed_in(roles=STAFF)
async def answer_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    absence_id = str(uuid_or_404(request.match_info["absence_id"]))
    decision = form.get("decision")
    try:
        if decision not in ("accept", "refuse"):
            raise FormError("Choisissez Accepter ou Refuser.")
        await clients_of(request).booking.answer_absence(account.identity, absence_id, decision,
                                                         forms.text(form, "motif", 300) or None)
    except REFUSED as exc:
        return await _absences_page(request, account, status=422, errors=messages_of(exc))
    raise redirect("/gestion/absences", "absence")


@signed_in(roles=STAFF)
async def waiting_days_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    try:
        raw = form.get("carence", "").strip()
        if not raw.isdigit():
            raise FormError("Délai de carence : un nombre de jours, de 0 à 30.")
        await clients_of(request).booking.set_absence_waiting_days(account.identity, structure_id(account), int(raw))
    except REFUSED as exc:
        return await _absences_page(request, account, status=422, errors=messages_of(exc))
    raise redirect("/gestion/absences", "carence")


@signed_in(roles=STAFF)
async def certificate(request: web.Request, account: Account) -> web.StreamResponse:
    """The absence's medical certificate (dossier keeps it; it must be the absence's family's)."""
    clients = clients_of(request)
    found = await clients.booking.absence(account.identity, str(uuid_or_404(request.match_info["absence_id"])))
    return await clients.dossier.certificate(request, account.identity, found["certificate_id"], found["family_id"])


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/gestion/fermetures-exceptionnelles", closures_page)
    r.add_post("/gestion/fermetures-exceptionnelles", close_submit)
    r.add_post("/gestion/fermetures-exceptionnelles/{closure_id}/lever", reopen_submit)
    r.add_get("/gestion/absences", absences_page)
    r.add_post("/gestion/absences/carence", waiting_days_submit)
    r.add_post("/gestion/absences/{absence_id}", answer_submit)
    r.add_get("/gestion/absences/{absence_id}/certificat", certificate)
