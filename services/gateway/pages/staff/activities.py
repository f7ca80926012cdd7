"""Gestion: the structure's activities (listed and created), its school holidays and its closures."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import (
    REFUSED,
    done_message,
    hhmm,
    messages_of,
    redirect,
    structure_id,
)
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import FormError
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

KINDS = {"fixed": "Horaires fixes", "time_entry": "Heures d'arrivée et de départ"}


async def structure_activities(request: web.Request, account: Account) -> list[dict]:
    return await clients_of(request).booking.activities(account.identity, structure_id(account))


async def _activities_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    activities = await structure_activities(request, account)
    return render(request, "gestion_activites.html", status=status, section="activites", activities=activities,
                  kinds=KINDS, hhmm=hhmm, done=done_message(request), form=extra.pop("form", {}), **extra)


@signed_in(roles=STAFF)
async def activities_page(request: web.Request, account: Account) -> web.Response:
    return await _activities_page(request, account)


def _deadline(form: dict, prefix: str, label: str) -> dict:
    return {"days_before": forms.integer(form, f"{prefix}_jours", f"{label} : nombre de jours", required=True) or 0,
            "working_days": forms.checked(form, f"{prefix}_ouvres"),
            "at": forms.hour(form, f"{prefix}_heure", f"{label} : heure limite", "10:00")}


@signed_in(roles=STAFF)
async def activity_create(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sid = structure_id(account)
    try:
        known = {a["id"] for a in await structure_activities(request, account)}
        body = {
            "structure_id": sid, "name": forms.text(form, "nom", 120),
            "kind": form.get("type") if form.get("type") in KINDS else "fixed",
            "start_time": forms.hour(form, "debut", "Heure de début"), "end_time": forms.hour(form, "fin", "Heure de fin"),
            "capacity": forms.integer(form, "places", "Nombre de places", minimum=1),
            "waitlist_allowed": forms.checked(form, "liste_attente"), "needs_approval": forms.checked(form, "validation"),
            "requires_house_rules": forms.checked(form, "reglement"),
            "enrolment_required": forms.checked(form, "inscription"),
            "booking_deadline": _deadline(form, "reservation", "Délai de réservation"),
            "cancel_deadline": _deadline(form, "annulation", "Délai d'annulation"),
            "incompatible_with": [v for k, v in (await request.post()).items()
                                  if k == "incompatible" and isinstance(v, str) and v in known],
        }
        if len(body["name"]) < 2:
            raise FormError("Nom de l'activité : au moins 2 caractères.")
        created = await clients_of(request).booking.create_activity(account.identity, body)
    except REFUSED as exc:
        return await _activities_page(request, account, status=422, errors=messages_of(exc), form=form)
    raise redirect(f"/gestion/activites/{created['id']}", "activite")


async def _period(request: web.Request, account: Account, what: str) -> web.Response:
    form = await checked_form(request)
    sid = structure_id(account)
    booking = clients_of(request).booking
    try:
        body = {"start": forms.day(form, f"{what}_debut", "Début"), "end": forms.day(form, f"{what}_fin", "Fin"),
                "label": forms.text(form, f"{what}_libelle", 120)}
        if what == "fermeture" and form.get("fermeture_activite"):
            body["activity_id"] = form["fermeture_activite"]
        add = booking.add_closure if what == "fermeture" else booking.add_school_holidays
        result = await add(account.identity, sid, body)
    except REFUSED as exc:
        return await _activities_page(request, account, status=422, **{f"{what}_errors": messages_of(exc)}, form=form)
    if what == "fermeture" and result and result.get("booked_days_kept"):
        return await _activities_page(request, account, fermeture_kept=result["booked_days_kept"])
    raise redirect("/gestion/activites", what)


@signed_in(roles=STAFF)
async def holidays_submit(request: web.Request, account: Account) -> web.Response:
    return await _period(request, account, "vacances")


@signed_in(roles=STAFF)
async def closure_submit(request: web.Request, account: Account) -> web.Response:
    return await _period(request, account, "fermeture")


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/gestion/activites", activities_page)
    r.add_post("/gestion/activites", activity_create)
    r.add_post("/gestion/vacances", holidays_submit)
    r.add_post("/gestion/fermetures", closure_submit)
