"""Réservations: copying a period of one child's activity onto another child (or activity); booking says
which days could not be imported, and refuses a period it does not accept (too long, upside down)."""

from __future__ import annotations

import calendar as cal
from datetime import date

from aiohttp import web

from kit.clock import paris_today
from services.gateway.clients import Refused, clients_of
from services.gateway.pages.booking.basket import basket_json, checked, parse_basket
from services.gateway.pages.booking.common import family_children, parent_page, pick_activity, pick_child
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.render import render
from services.gateway.web.session import Account

MISSING_ACTIVITY = "Choisissez l'activité à recopier et l'activité sur laquelle l'importer."


@parent_page
async def copy_page(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    children = await family_children(request, account)
    month = forms.month(form.get("mois"), paris_today())
    first = date.fromisoformat(month + "-01")
    last = first.replace(day=cal.monthrange(first.year, first.month)[1])
    context = {"children": children, "month": month, "panier": basket_json(basket), "pending_total": len(basket)}
    if not form.get("copier"):
        child = pick_child(children, form.get("enfant"))
        return render(request, "reservations_recopier.html", **context, source_child=child["id"],
                      source_activity=form.get("activite") or "", start=first.isoformat(), end=last.isoformat(),
                      target_child=next((c["id"] for c in children if c["id"] != child["id"]), child["id"]),
                      target_activity=form.get("activite") or "")
    source = pick_child(children, form.get("source_enfant"), required=True)
    target = pick_child(children, form.get("cible_enfant"), required=True)
    source_activity = pick_activity(source, form.get("source_activite"))
    target_activity = pick_activity(target, form.get("cible_activite"))
    start, end = forms.iso_day(form.get("du"), "La date de début"), forms.iso_day(form.get("au"), "La date de fin")

    def again(errors: list[str]) -> web.Response:
        return render(request, "reservations_recopier.html", status=400, **context, errors=errors,
                      source_child=source["id"], source_activity=form.get("source_activite") or "",
                      start=start.isoformat(), end=end.isoformat(), target_child=target["id"],
                      target_activity=form.get("cible_activite") or "")

    if source_activity is None or target_activity is None:
        return again([MISSING_ACTIVITY])
    try:
        result = await clients_of(request).booking.copy(
            account.identity, (source["id"], source_activity["id"]), (target["id"], target_activity["id"]),
            start, end, basket)
    except Refused as exc:
        return again(exc.messages())
    basket = checked(result["basket"])
    return render(request, "reservations_recopie.html", children=children, source=source, target=target,
                  source_activity=source_activity, target_activity=target_activity,
                  period=f"{start:%d/%m/%Y} au {end:%d/%m/%Y}", not_imported=result["not_imported"],
                  imported=sum(1 for line in basket if line["child_id"] == target["id"]
                               and line["activity_id"] == target_activity["id"] and start.isoformat()
                               <= line["date"] <= end.isoformat()),
                  month=start.strftime("%Y-%m"), panier=basket_json(basket), pending_total=len(basket))


def routes(app: web.Application) -> None:
    app.router.add_post("/reservations/recopier", copy_page)
