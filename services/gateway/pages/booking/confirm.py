"""Réservations: the recap of the basket (nothing recorded yet), then its confirmation through the waiting room
(docs/adr/0008) and its page: the position in the queue while it waits, then each line's outcome
(accepted, waiting list, refused with its reason…)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from urllib.parse import urlencode

from aiohttp import web

from kit import fr
from services.gateway.clients import clients_of
from services.gateway.pages.booking.basket import basket_json, parse_basket
from services.gateway.pages.booking.calendar import calendar_page
from services.gateway.pages.booking.common import child_name, family_children, parent_page
from services.gateway.web.csrf import checked_form
from services.gateway.web.errors import PageError
from services.gateway.web.render import render
from services.gateway.web.session import Account

OUTCOMES = {"accepted": "Acceptée", "pending": "En attente de réponse", "cancelled": "Annulée"}


def _back(form: dict) -> dict[str, str]:
    return {"enfant": form.get("enfant", ""), "activite": form.get("activite", ""), "mois": form.get("mois", "")}


@parent_page
async def recap_page(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    back = _back(form)
    if not basket:
        return await calendar_page(request, account, back["enfant"] or None, back["activite"] or None,
                                   back["mois"] or None, [], message="Vous n'avez aucune demande en cours à valider.")
    # both asked at once: the recap page is on the rush's path (docs/adr/0015)
    children, data = await asyncio.gather(family_children(request, account),
                                          clients_of(request).booking.recap(account.identity, basket))
    groups = []
    for child in children:
        reservations = [r for r in data["reservations"] if r["child_id"] == child["id"]]
        cancellations = [r for r in data["cancellations"] if r["child_id"] == child["id"]]
        if reservations or cancellations:
            groups.append({"name": child_name(child), "reservations": reservations, "cancellations": cancellations})
    problems = sum(1 for r in data["reservations"] + data["cancellations"] if not r["ok"])
    return render(request, "reservations_recapitulatif.html", groups=groups, problems=problems,
                  panier=basket_json(basket), back=back, pending_total=len(basket), demande=str(uuid.uuid4()))


def outcome_text(result: dict) -> str:
    outcome, reason = result["outcome"], result.get("reason")
    if outcome == "waitlisted":
        position = result.get("waitlist_position")
        return f"En liste d'attente (position {position})" if position else "En liste d'attente"
    if outcome == "refused":
        return f"Refusée : {reason}" if reason else "Refusée"
    if outcome == "rejected":
        return f"Non enregistrée : {reason}" if reason else "Non enregistrée"
    return OUTCOMES.get(outcome, outcome)


def _short_day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{fr.WEEKDAYS_SHORT[d.weekday()][:2]} {d:%d/%m/%Y}"


def _request_id(raw: str | None) -> str:
    """The confirmation's id, chosen when the recap was shown: the same form posted twice is one request."""
    try:
        return str(uuid.UUID(raw or ""))
    except ValueError:
        return str(uuid.uuid4())


@parent_page
async def confirm_page(request: web.Request, account: Account) -> web.Response:
    """The basket goes to the waiting room; the answer (or the position in the queue) is a page of its own,
    reached by a redirect: reloading it shows the answer again, never records anything twice."""
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    if not basket:
        raise PageError(400, "Aucune demande", "Vous n'avez aucune demande en cours à valider.")
    request_id = _request_id(form.get("demande"))
    await clients_of(request).booking.submit_basket(account.identity, request_id, basket)
    back = urlencode({k: v for k, v in _back(form).items() if v})
    raise web.HTTPSeeOther(f"/reservations/demandes/{request_id}" + (f"?{back}" if back else ""))


def waiting_text(state: dict) -> str:
    seconds = state["eta_seconds"]
    return (f"Votre demande est dans la file d'attente : position {state['position']}, "
            f"environ {seconds} seconde{'s' if seconds is None or seconds > 1 else ''}")


def poll_seconds(state: dict) -> int:
    """When the waiting page asks again: booking's rule (often near the turn, seldom far from it); 2 s from a
    booking that does not say yet (during a rolling deployment, the gateway may be the newer one)."""
    return state.get("poll_seconds") or 2


@parent_page
async def request_page(request: web.Request, account: Account) -> web.Response:
    """A confirmation's page: its results once recorded, else its place in the waiting room (refreshed by the
    browser without JavaScript, live with it)."""
    request_id = request.match_info["request_id"]
    state = await clients_of(request).booking.basket_request(account.identity, request_id)
    back = {k: request.query.get(k, "") for k in ("enfant", "activite", "mois")}
    back_url = "/reservations?" + urlencode({k: v for k, v in back.items() if v})
    if state["status"] == "queued":
        response = render(request, "reservations_attente.html", text=waiting_text(state), panier="[]",
                          pending_total=0, etat_url=f"/reservations/demandes/{request_id}/etat", back_url=back_url)
        response.headers["Refresh"] = str(poll_seconds(state))
        return response
    if state["status"] == "failed":
        raise PageError(409, "Demandes non enregistrées", state.get("problem") or "Vos demandes n'ont pas pu "
                        "être enregistrées.")
    children = await family_children(request, account)
    names = {c["id"]: child_name(c) for c in children}
    rows = [{"date": r["date"], "day": _short_day(r["date"]), "child": names.get(r["child_id"], ""),
             "activity": r.get("activity") or "", "kind": "Réservation" if r["action"] == "reserve" else "Annulation",
             "outcome": r["outcome"], "text": outcome_text(r)} for r in state["results"]]
    rows.sort(key=lambda r: (r["date"], r["child"], r["activity"]))
    return render(request, "reservations_resultat.html", rows=rows, panier="[]", pending_total=0, back_url=back_url)


@parent_page
async def request_state(request: web.Request, account: Account) -> web.Response:
    """The same, as JSON for the waiting page's script: its status, and the sentence it shows."""
    state = await clients_of(request).booking.basket_request(account.identity, request.match_info["request_id"])
    return web.json_response({"status": state["status"], "poll_seconds": poll_seconds(state),
                              "text": waiting_text(state) if state["status"] == "queued" else ""})


def routes(app: web.Application) -> None:
    app.router.add_post("/reservations/recapitulatif", recap_page)
    app.router.add_post("/reservations/confirmer", confirm_page)
    app.router.add_get("/reservations/demandes/{request_id}", request_page)
    app.router.add_get("/reservations/demandes/{request_id}/etat", request_state)
