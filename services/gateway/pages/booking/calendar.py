"""Réservations: the parent's month calendar of a child (and one activity), the click on a day, the quick
tools (a week, a weekday, the month) and dropping the whole basket. Usable without JavaScript: booking
computes every change and the page is rendered again with the new basket."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from kit import fr
from kit.clock import paris_today
from services.gateway.clients import clients_of
from services.gateway.pages.booking.basket import basket_json, checked, parse_basket, toggled
from services.gateway.pages.booking.common import (
    actions_of,
    day_words,
    family_children,
    parent_page,
    pick_activity,
    pick_child,
)
from services.gateway.pages.booking.day import day_page
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.errors import PageError
from services.gateway.web.render import render
from services.gateway.web.session import Account

TOGGLE = "/reservations/basculer"
VERBS = {"reserve": "Réserver le {}", "cancel": "Annuler la réservation du {}"}


def day_action(day: dict, activity: dict | None) -> tuple[str, str] | None:
    """(verb for the aria-label, form action) for a day cell, or None when nothing can be done."""
    when = day_words(date.fromisoformat(day["date"]))
    if activity is None:
        return (f"Voir les activités du {when}", "/reservations/jour") if day["activities"] else None
    if day["pending"] == "reserve":
        return f"Retirer la demande de réservation du {when}", TOGGLE
    if day["pending"] == "cancel":
        return f"Retirer la demande d'annulation du {when}", TOGGLE
    actions = actions_of(day)
    return (VERBS[actions[0]].format(when), TOGGLE) if actions else None


def weeks_of(days: list[dict], activity: dict | None) -> list[list[dict | None]]:
    cells: list[dict | None] = [None] * date.fromisoformat(days[0]["date"]).weekday()
    for day in days:
        d = date.fromisoformat(day["date"])
        action = day_action(day, activity)
        cells.append({**day, "number": d.day, "long": day_words(d),
                      "aria": action[0] if action else f"{day_words(d)} : {day['label']}",
                      "action": action[1] if action else None})
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]


def month_of(raw: str | None) -> str:
    return forms.month(raw, paris_today())


async def calendar_page(request: web.Request, account: Account, child_id: str | None, activity_id: str | None,
                        month: str | None, basket: list[dict], message: str | None = None,
                        status: int = 200, reprise_possible: bool = False,
                        focus_day: date | None = None) -> web.Response:
    children = await family_children(request, account)
    child = pick_child(children, child_id)
    activity = pick_activity(child, activity_id)
    month = month_of(month)
    data = await clients_of(request).booking.calendar(account.identity, child["id"], month,
                                                      activity["id"] if activity else None, basket)
    year, number = (int(p) for p in month.split("-"))
    return render(request, "reservations.html", status=status, children=children, child=child, activity=activity,
                  month=month, month_title=fr.month_year(year, number), previous=forms.shift_month(month, -1),
                  next=forms.shift_month(month, 1), weeks=weeks_of(data["days"], activity),
                  weekdays=list(enumerate(fr.WEEKDAYS_SHORT)), weekday_names=fr.WEEKDAYS,
                  legend=[entry for entry in data["legend"] if entry["state"] != "closed"],
                  closed_label=next((e["label"] for e in data["legend"] if e["state"] == "closed"), ""),
                  has_limit=bool(activity) and any(d["remaining"] is not None for d in data["days"]),
                  basket=basket, panier=basket_json(basket), pending_total=len(basket),
                  pending_here=sum(1 for line in basket if line["child_id"] == child["id"]),
                  message=message, reprise_possible=reprise_possible,
                  focus_day=focus_day.isoformat() if focus_day else None)


@parent_page
async def calendar_get(request: web.Request, account: Account) -> web.Response:
    q = request.query
    return await calendar_page(request, account, q.get("enfant"), q.get("activite"), q.get("mois"), [],
                               reprise_possible=True)


@parent_page
async def calendar_post(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    return await calendar_page(request, account, form.get("enfant"), form.get("activite"),
                               form.get("aller") or form.get("mois"), basket)


@parent_page
async def toggle_day(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    children = await family_children(request, account)
    child = pick_child(children, form.get("enfant"), required=True)
    activity = pick_activity(child, form.get("activite"))
    day = forms.iso_day(form.get("jour"))
    if activity is None:
        return await day_page(request, account, children, child, day, basket, form.get("mois"))
    data = await clients_of(request).booking.day(account.identity, child["id"], day, basket)
    entry = next((a for a in data["activities"] if a["activity_id"] == activity["id"]), None)
    if entry is None:
        return await calendar_page(request, account, child["id"], activity["id"], form.get("mois"), basket,
                                   message="L'activité n'est pas ouverte ce jour.", status=409)
    actions = actions_of(entry)
    if activity["kind"] == "time_entry" and not entry.get("pending") and "reserve" in actions:
        # the hours are chosen on the day view
        return await day_page(request, account, children, child, day, basket, form.get("mois"),
                              open_times=activity["id"])
    basket, message = toggled(basket, child["id"], entry, actions)
    # the focus comes back to the day just clicked (its button has autofocus)
    return await calendar_page(request, account, child["id"], activity["id"], form.get("mois"), basket,
                               message=message, focus_day=day)


def _scope(tool: str) -> dict:
    if tool == "mois":
        return {"scope": "month"}
    if tool.startswith("semaine:"):
        return {"scope": "week", "day": forms.iso_day(tool.split(":", 1)[1])}
    if tool.startswith("jour-semaine:") and tool[13:] in "0123456" and len(tool) == 14:
        return {"scope": "weekday", "weekday": int(tool[13:])}
    raise PageError(400, "Outil inconnu", "Cet outil de sélection rapide n'existe pas.")


@parent_page
async def quick_tool(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    children = await family_children(request, account)
    child = pick_child(children, form.get("enfant"), required=True)
    activity = pick_activity(child, form.get("activite"))
    month = month_of(form.get("mois"))
    if activity is None:
        raise PageError(400, "Activité manquante", "Choisissez une activité pour utiliser les outils rapides.")
    answered = await clients_of(request).booking.quick_fill(account.identity, child["id"], activity["id"], month,
                                                            basket, **_scope(form.get("outil", "")))
    return await calendar_page(request, account, child["id"], activity["id"], month, checked(answered))


@parent_page
async def drop_all(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    parse_basket(form.get("panier"))
    return await calendar_page(request, account, form.get("enfant"), form.get("activite"), form.get("mois"), [],
                               message="Vos demandes en cours ont été abandonnées.")


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/reservations", calendar_get)
    r.add_post("/reservations", calendar_post)
    r.add_post(TOGGLE, toggle_day)
    r.add_post("/reservations/rapide", quick_tool)
    r.add_post("/reservations/annuler", drop_all)
