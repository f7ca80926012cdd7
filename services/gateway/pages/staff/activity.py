"""Gestion: one activity, its sessions over a period (places taken, waiting list), opening sessions,
changing a session's places, its tariff in force and their history, and publishing a tariff."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from aiohttp import web

from kit import fr
from kit.clock import paris_today
from services.gateway.clients import clients_of
from services.gateway.pages.staff.activities import KINDS, structure_activities
from services.gateway.pages.staff.common import REFUSED, done_message, hhmm, messages_of, redirect
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import FormError, uuid_or_404
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

WEEKDAYS = tuple(day.capitalize() for day in fr.WEEKDAYS)
PERIODS = {"school": "Période scolaire", "holidays": "Vacances scolaires", "all": "Toute l'année"}
UNITS = {"session": "par séance", "half_hour": "par demi-heure", "hour": "par heure"}
BRACKET_ROWS = 5


async def activity_of(request: web.Request, account: Account) -> dict:
    activity_id = str(uuid_or_404(request.match_info["activity_id"]))
    activity = next((a for a in await structure_activities(request, account) if a["id"] == activity_id), None)
    if activity is None:
        raise web.HTTPNotFound()
    return activity


def period_shown(query, today: date) -> tuple[date, date]:
    """The period of sessions shown: from `du` (today) to `au` (six weeks later), 400 days at most."""
    try:
        start = date.fromisoformat(query.get("du", "")) if query.get("du") else today
        end = date.fromisoformat(query.get("au", "")) if query.get("au") else start + timedelta(days=42)
    except ValueError:
        start, end = today, today + timedelta(days=42)
    if end < start or (end - start).days > 400:
        end = start + timedelta(days=42)
    return start, end


async def _activity_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    activity = await activity_of(request, account)
    start, end = period_shown(request.query, paris_today())
    sessions = await clients_of(request).booking.sessions(account.identity, activity["id"], start, end)
    for s in sessions:
        day = date.fromisoformat(s["date"])
        s["label"] = f"{WEEKDAYS[day.weekday()]} {day.strftime('%d/%m/%Y')}"
    tariffs = await clients_of(request).billing.tariffs(account.identity, activity["structure_id"], activity["id"])
    for t in tariffs:
        t["from_label"] = date.fromisoformat(t["effective_from"]).strftime("%d/%m/%Y")
    return render(request, "gestion_activite.html", status=status, section="activites", activity=activity,
                  tariffs=tariffs, sessions=sessions, start=start.isoformat(), end=end.isoformat(), weekdays=WEEKDAYS,
                  periods=PERIODS, units=UNITS, kinds=KINDS, hhmm=hhmm, bracket_rows=BRACKET_ROWS, done=done_message(request),
                  opened=request.query.get("ouvertes") if request.query.get("ouvertes", "").isdigit() else None,
                  form=extra.pop("form", {}), **extra)


@signed_in(roles=STAFF)
async def activity_page(request: web.Request, account: Account) -> web.Response:
    return await _activity_page(request, account)


@signed_in(roles=STAFF)
async def openings_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    activity = await activity_of(request, account)
    posted = await request.post()
    try:
        weekdays = sorted({int(v) for k, v in posted.items() if k == "jour" and isinstance(v, str) and v.isdigit()
                           and 0 <= int(v) <= 6})
        if not weekdays:
            raise FormError("Cochez au moins un jour de la semaine.")
        body = {"weekdays": weekdays, "period": form.get("periode") if form.get("periode") in PERIODS else "school",
                "start": forms.day(form, "ouverture_debut", "Début"), "end": forms.day(form, "ouverture_fin", "Fin"),
                "capacity": forms.integer(form, "ouverture_places", "Nombre de places", minimum=1)}
        result = await clients_of(request).booking.open_sessions(account.identity, activity["id"], body)
    except REFUSED as exc:
        return await _activity_page(request, account, status=422, opening_errors=messages_of(exc), form=form)
    query = urlencode({"du": body["start"], "au": body["end"], "ouvertes": result["created"]})
    raise web.HTTPSeeOther(f"/gestion/activites/{activity['id']}?{query}")


@signed_in(roles=STAFF)
async def capacity_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    activity = await activity_of(request, account)
    session_id = str(uuid_or_404(request.match_info["session_id"]))
    try:
        capacity = forms.integer(form, "places", "Nombre de places")
        await clients_of(request).booking.set_capacity(account.identity, session_id, capacity)
    except REFUSED as exc:
        return await _activity_page(request, account, status=422, capacity_errors=messages_of(exc),
                                    capacity_session=session_id)
    query = urlencode({k: form[k] for k in ("du", "au") if form.get(k)})
    raise redirect(f"/gestion/activites/{activity['id']}" + (f"?{query}" if query else ""), "places")


def _brackets(form: dict) -> list[dict]:
    brackets = []
    for i in range(BRACKET_ROWS):
        price = form.get(f"prix_{i}", "").strip()
        ceiling = form.get(f"qf_{i}", "").strip()
        if not price and not ceiling:
            continue
        brackets.append({
            "qf_max": forms.integer(form, f"qf_{i}", f"Tranche {i + 1} : plafond de QF"),
            "price_cents": forms.cents(price, f"Tranche {i + 1} : prix"),
            "reduced_price_cents": forms.cents(form.get(f"reduit_{i}", ""), f"Tranche {i + 1} : prix réduit",
                                               required=False)})
    if not brackets:
        raise FormError("Renseignez au moins une tranche (prix).")
    return brackets


@signed_in(roles=STAFF)
async def tariff_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    activity = await activity_of(request, account)
    try:
        body = {"structure_id": activity["structure_id"], "activity_id": activity["id"],
                "activity_name": activity["name"], "brackets": _brackets(form),
                "effective_from": forms.day(form, "application", "Date d'application"),
                "unit": form.get("unite") if form.get("unite") in UNITS else "session",
                "reduced_from_rank": forms.integer(form, "rang", "Réduction à partir du rang", minimum=2)}
        await clients_of(request).billing.publish_tariff(account.identity, body)
    except REFUSED as exc:
        return await _activity_page(request, account, status=422, tariff_errors=messages_of(exc), form=form)
    raise redirect(f"/gestion/activites/{activity['id']}", "tarif")


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/gestion/activites/{activity_id}", activity_page)
    r.add_post("/gestion/activites/{activity_id}/ouvertures", openings_submit)
    r.add_post("/gestion/activites/{activity_id}/seances/{session_id}/places", capacity_submit)
    r.add_post("/gestion/activites/{activity_id}/tarifs", tariff_submit)
