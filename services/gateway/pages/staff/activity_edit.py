"""Gestion: changing an existing activity — its settings, and the places of a range of days — each in two
steps: « Voir l'effet » shows what booking says the change does to the days and bookings (nothing is
written), « Confirmer » applies it and redirects to the activity."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff.activities import KINDS, structure_activities
from services.gateway.pages.staff.activity import WEEKDAYS, activity_of
from services.gateway.pages.staff.common import REFUSED, hhmm, messages_of, redirect
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import FormError
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

CONFIRM = "confirmer"


def _form_of(settings: dict) -> dict:
    """The activity's settings as the edit form's fields."""
    form = {"nom": settings["name"], "debut": settings["start_time"], "fin": settings["end_time"],
            "places": "" if settings["capacity"] is None else str(settings["capacity"])}
    for field, key in (("liste_attente", "waitlist_allowed"), ("validation", "needs_approval"),
                       ("reglement", "requires_house_rules"), ("inscription", "enrolment_required")):
        if settings[key]:
            form[field] = "oui"
    for prefix, key in (("reservation", "booking_deadline"), ("annulation", "cancel_deadline")):
        rule = settings[key]
        form |= {f"{prefix}_jours": str(rule["days_before"]), f"{prefix}_heure": rule["at"]}
        if rule["working_days"]:
            form[f"{prefix}_ouvres"] = "oui"
    return form


def _deadline(form: dict, prefix: str, label: str) -> dict:
    return {"days_before": forms.integer(form, f"{prefix}_jours", f"{label} : nombre de jours", required=True) or 0,
            "working_days": forms.checked(form, f"{prefix}_ouvres"),
            "at": forms.hour(form, f"{prefix}_heure", f"{label} : heure limite", "10:00")}


async def _page(request: web.Request, account: Account, activity: dict, status: int = 200, **extra) -> web.Response:
    booking = clients_of(request).booking
    if "form" not in extra:
        settings = await booking.activity_settings(account.identity, activity["id"])
        extra |= {"form": _form_of(settings), "incompatible": set(settings["incompatible_with"])}
    others = [a for a in await structure_activities(request, account) if a["id"] != activity["id"]]
    return render(request, "gestion_activite_modifier.html", status=status, section="activites", activity=activity,
                  others=others, kinds=KINDS, hhmm=hhmm, weekdays=WEEKDAYS, places_form=extra.pop("places_form", {}),
                  **extra)


@signed_in(roles=STAFF)
async def edit_page(request: web.Request, account: Account) -> web.Response:
    return await _page(request, account, await activity_of(request, account))


@signed_in(roles=STAFF)
async def settings_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    activity = await activity_of(request, account)
    known = {a["id"] for a in await structure_activities(request, account)}
    chosen = {v for k, v in (await request.post()).items() if k == "incompatible" and isinstance(v, str)
              and v in known}
    apply = form.get("etape") == CONFIRM
    try:
        body = {
            "name": forms.text(form, "nom", 120),
            "start_time": forms.hour(form, "debut", "Heure de début"), "end_time": forms.hour(form, "fin", "Heure de fin"),
            "capacity": forms.integer(form, "places", "Nombre de places", minimum=1),
            "waitlist_allowed": forms.checked(form, "liste_attente"), "needs_approval": forms.checked(form, "validation"),
            "requires_house_rules": forms.checked(form, "reglement"),
            "enrolment_required": forms.checked(form, "inscription"),
            "booking_deadline": _deadline(form, "reservation", "Délai de réservation"),
            "cancel_deadline": _deadline(form, "annulation", "Délai d'annulation"),
            "incompatible_with": sorted(chosen),
        }
        if len(body["name"]) < 2:
            raise FormError("Nom de l'activité : au moins 2 caractères.")
        effects = await clients_of(request).booking.change_activity(account.identity, activity["id"], body, apply)
    except REFUSED as exc:
        return await _page(request, account, activity, status=422, errors=messages_of(exc), form=form,
                           incompatible=chosen)
    if apply:
        raise redirect(f"/gestion/activites/{activity['id']}", "modifiee")
    return await _page(request, account, activity, form=form, incompatible=chosen,
                       effects=effects or ["Aucun changement."], effects_confirm=bool(effects))


@signed_in(roles=STAFF)
async def places_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    activity = await activity_of(request, account)
    posted = await request.post()
    weekdays = sorted({int(v) for k, v in posted.items() if k == "jour" and isinstance(v, str) and v.isdigit()
                       and 0 <= int(v) <= 6})
    apply = form.get("etape") == CONFIRM
    places_form = {**form, "jours": weekdays}
    try:
        if not weekdays:
            raise FormError("Cochez au moins un jour de la semaine.")
        if not form.get("places_nombre", "").strip() and not forms.checked(form, "places_illimite"):
            raise FormError("Nombre de places : indiquez un nombre, ou cochez « Illimité ».")
        body = {"start": forms.day(form, "places_debut", "Du"), "end": forms.day(form, "places_fin", "Au"),
                "capacity": None if forms.checked(form, "places_illimite") else
                forms.integer(form, "places_nombre", "Nombre de places", required=True),
                "weekdays": weekdays}
        plan = await clients_of(request).booking.change_capacity(account.identity, activity["id"], body, apply)
    except REFUSED as exc:
        return await _page(request, account, activity, status=422, places_errors=messages_of(exc),
                           places_form=places_form)
    if apply:
        query = urlencode({"du": body["start"], "au": body["end"]})
        raise redirect(f"/gestion/activites/{activity['id']}?{query}", "places")
    return await _page(request, account, activity, places_form=places_form, plan=plan)


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/gestion/activites/{activity_id}/modifier", edit_page)
    r.add_post("/gestion/activites/{activity_id}/modifier", settings_submit)
    r.add_post("/gestion/activites/{activity_id}/places", places_submit)
