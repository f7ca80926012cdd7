"""Réservations: the day view of a child, every activity of the day with what can be done on it, the hours
of a time-entry activity, and taking a request back."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from kit import fr
from services.gateway.clients import clients_of
from services.gateway.pages.booking.basket import basket_json, parse_basket, toggled, without
from services.gateway.pages.booking.common import (
    actions_of,
    family_children,
    parent_page,
    pick_activity,
    pick_child,
)
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.render import render
from services.gateway.web.session import Account


async def day_page(request: web.Request, account: Account, children: list[dict], child: dict, day: date,
                   basket: list[dict], month: str | None, message: str | None = None, open_times: str | None = None,
                   status: int = 200) -> web.Response:
    data = await clients_of(request).booking.day(account.identity, child["id"], day, basket)
    pending = {line["activity_id"]: line for line in basket
               if line["child_id"] == child["id"] and line["date"] == day.isoformat()}
    rows = []
    for a in data["activities"]:
        line = pending.get(a["activity_id"])
        rows.append({**a, "line": line,
                     "shown_arrival": (line or {}).get("arrival") or a["arrival"] or a["start"],
                     "shown_departure": (line or {}).get("departure") or a["departure"] or a["end"],
                     "can_toggle": bool(a["pending"]) or bool(actions_of(a))})
    return render(request, "reservations_jour.html", status=status, children=children, child=child, day=day,
                  day_label=fr.long_date(day), month=forms.month(month, day) if month else day.strftime("%Y-%m"),
                  rows=rows, panier=basket_json(basket), pending_total=len(basket), message=message,
                  open_times=open_times)


def _with_hours(basket: list[dict], k: tuple[str, str, str], entry: dict, form: dict, target: str
                ) -> tuple[list[dict], str | None]:
    arrival, departure = form.get(f"arrivee-{target}", "")[:5], form.get(f"depart-{target}", "")[:5]
    if not (forms.TIME_RE.match(arrival) and forms.TIME_RE.match(departure)):
        return basket, "Choisissez l'heure d'arrivée et l'heure de départ."
    if not (entry["start"] <= arrival < departure <= entry["end"]):
        return basket, f"Les horaires doivent être choisis entre {entry['start']} et {entry['end']}."
    if "reserve" not in actions_of(entry):
        return basket, "Cette activité ne peut pas être réservée ce jour."
    return without(basket, k) + [{"child_id": k[0], "activity_id": k[1], "date": k[2], "action": "reserve",
                                  "arrival": arrival, "departure": departure}], None


@parent_page
async def day_view(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    children = await family_children(request, account)
    child = pick_child(children, form.get("enfant"), required=True)
    day = forms.iso_day(form.get("jour"))
    target, message = form.get("basculer") or form.get("heures") or form.get("effacer"), None
    if target:
        activity = pick_activity(child, target)
        data = await clients_of(request).booking.day(account.identity, child["id"], day, basket)
        entry = next((a for a in data["activities"] if a["activity_id"] == activity["id"]), None)
        k = (child["id"], activity["id"], day.isoformat())
        if entry is None:
            message = "L'activité n'est pas ouverte ce jour."
        elif form.get("heures"):
            basket, message = _with_hours(basket, k, entry, form, target)
        elif form.get("effacer"):
            basket = without(basket, k)
            if "cancel" in actions_of(entry) and not entry.get("pending"):
                basket.append({"child_id": k[0], "activity_id": k[1], "date": k[2], "action": "cancel"})
        elif activity["kind"] == "time_entry" and not entry.get("pending") and "reserve" in actions_of(entry):
            return await day_page(request, account, children, child, day, basket, form.get("mois"),
                                  open_times=activity["id"])
        else:
            basket, message = toggled(basket, child["id"], entry, actions_of(entry))
    return await day_page(request, account, children, child, day, basket, form.get("mois"), message=message)


def routes(app: web.Application) -> None:
    app.router.add_post("/reservations/jour", day_view)
