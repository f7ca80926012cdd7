"""Réservations: the parent's calendar, day view, quick tools, copy, recap, confirmation and follow-up.

Server-rendered and usable without JavaScript. The basket (days clicked, nothing recorded yet) travels
in a hidden form field `panier` (JSON list of lines) that every form of these pages posts back; the
booking service computes every change and the page is rendered again with the new basket."""

from __future__ import annotations

import calendar as cal
import json
import re
import uuid
from datetime import date, datetime
from functools import wraps
from urllib.parse import urlencode

from aiohttp import web

from services.gateway.render import PARIS, error_page, render
from services.gateway.session import BACKEND, SETTINGS, Account, checked_form, signed_in

MAX_LINES = 400
MAX_BASKET_CHARS = 200_000
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_SHORT = ("Lun", "Mar", "Mer", "Jeu", "Ven", "Sam", "Dim")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
BOOKABLE = ("available", "waitlist_only")
CANCELLABLE = ("booked", "requested")
FOLLOW_TYPES = (("pending", "En attente réponse"), ("waitlisted", "En liste d'attente"), ("refused", "Refusées"),
                ("accepted", "Acceptées"), ("transmitted", "Transmise"), ("not_transmitted", "Non transmise"))


class PageError(Exception):
    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def parent_page(handler):
    """A page of the parent's section: bad input becomes a French 4xx page."""

    @signed_in(roles=("parent",))
    @wraps(handler)
    async def wrapper(request: web.Request, account: Account):
        try:
            return await handler(request, account)
        except PageError as exc:
            return error_page(request, exc.status, exc.title, exc.message)

    return wrapper


# -- French dates ---------------------------------------------------------------------------------------
def long_day(d: date, year: bool = True) -> str:
    """"vendredi 31 janvier 2020"."""
    text = f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]}"
    return f"{text} {d.year}" if year else text


def month_title(month: str) -> str:
    year, number = (int(p) for p in month.split("-"))
    return f"{MONTHS[number - 1].capitalize()} {year}"


def shift_month(month: str, delta: int) -> str:
    year, number = (int(p) for p in month.split("-"))
    index = year * 12 + number - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def today() -> date:
    return datetime.now(PARIS).date()


def parse_month(raw: str | None) -> str:
    if not raw:
        return today().strftime("%Y-%m")
    if not MONTH_RE.match(raw) or not 2000 <= int(raw[:4]) <= 2100:
        raise PageError(400, "Mois invalide", "Le mois doit être indiqué au format AAAA-MM (par exemple 2026-03).")
    return raw


def parse_date(raw: str | None, what: str = "La date") -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        raise PageError(400, "Date invalide", f"{what} doit être indiquée au format AAAA-MM-JJ.") from None


# -- the basket ------------------------------------------------------------------------------------------
def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def parse_basket(raw: str | None) -> list[dict]:
    """The posted basket, checked line by line; anything odd is a 400 with a French message."""
    bad = PageError(400, "Demandes invalides",
                    "La liste de vos demandes en cours n'a pas pu être lue. Revenez au calendrier et recommencez.")
    if not raw:
        return []
    if len(raw) > MAX_BASKET_CHARS:
        raise bad
    try:
        data = json.loads(raw)
    except ValueError:
        raise bad from None
    if not isinstance(data, list) or len(data) > MAX_LINES:
        raise PageError(400, "Demandes invalides", f"Vous ne pouvez pas valider plus de {MAX_LINES} demandes à la fois."
                        if isinstance(data, list) else bad.message)
    lines = []
    for item in data:
        if not isinstance(item, dict) or not set(item) <= {"child_id", "activity_id", "date", "action", "arrival",
                                                           "departure"}:
            raise bad
        if not (_is_uuid(item.get("child_id")) and _is_uuid(item.get("activity_id"))
                and item.get("action") in ("reserve", "cancel") and isinstance(item.get("date"), str)):
            raise bad
        try:
            date.fromisoformat(item["date"])
        except ValueError:
            raise bad from None
        arrival, departure = item.get("arrival"), item.get("departure")
        if (arrival is None) != (departure is None):
            raise bad
        if arrival is not None and not (isinstance(arrival, str) and isinstance(departure, str)
                                        and TIME_RE.match(arrival[:5]) and TIME_RE.match(departure[:5])):
            raise bad
        line = {"child_id": str(uuid.UUID(item["child_id"])), "activity_id": str(uuid.UUID(item["activity_id"])),
                "date": item["date"], "action": item["action"]}
        if arrival is not None:
            line["arrival"], line["departure"] = arrival[:5], departure[:5]
        lines.append(line)
    # the last click on a day wins
    return list({key(line): line for line in lines}.values())


def key(line: dict) -> tuple[str, str, str]:
    return (line["child_id"], line["activity_id"], line["date"])


def basket_json(lines: list[dict]) -> str:
    return json.dumps(lines, ensure_ascii=False, separators=(",", ":"))


def without(lines: list[dict], k: tuple[str, str, str]) -> list[dict]:
    return [line for line in lines if key(line) != k]


# -- calls to booking ------------------------------------------------------------------------------------
async def call(request: web.Request, account: Account, method: str, path: str, body=None):
    status, data = await request.app[BACKEND].request("booking", method, path, account.identity, json=body)
    if status < 400:
        return data
    detail = data.get("detail") if isinstance(data, dict) else None
    if status == 404:
        raise PageError(404, "Introuvable", detail or "L'enfant ou l'activité demandé est introuvable.")
    if status in (400, 409, 422):
        raise PageError(400 if status != 409 else 409, "Demande invalide",
                        detail or "Votre demande n'a pas pu être traitée. Vérifiez votre saisie.")
    if status == 403:
        raise PageError(403, "Accès refusé", detail or "Vous n'avez pas accès à ces réservations.")
    if status == 503 and detail:
        raise PageError(503, "Portail très sollicité", detail)
    raise PageError(502, "Erreur", "Votre demande n'a pas pu aboutir. Réessayez plus tard.")


async def family_children(request: web.Request, account: Account) -> list[dict]:
    return (await call(request, account, "GET", "/v1/children"))["children"]


def pick_child(children: list[dict], raw: str | None, required: bool = False) -> dict:
    if not children:
        raise PageError(404, "Aucun enfant", "Aucun enfant de votre famille n'est inscrit pour les réservations.")
    if not raw:
        if required:
            raise PageError(400, "Enfant manquant", "Choisissez l'enfant concerné.")
        return children[0]
    child = next((c for c in children if c["id"] == raw), None)
    if child is None:
        raise PageError(404, "Enfant introuvable", "Cet enfant ne fait pas partie de votre famille.")
    return child


def pick_activity(child: dict, raw: str | None) -> dict | None:
    if not raw:
        return None
    activity = next((a for a in child["activities"] if a["id"] == raw), None)
    if activity is None:
        raise PageError(404, "Activité introuvable", "Cette activité n'est pas proposée pour cet enfant.")
    return activity


def child_name(child: dict) -> str:
    return f"{child['last_name']} {child['first_name']}"


# -- the calendar ---------------------------------------------------------------------------------------
def day_action(day: dict, activity: dict | None) -> tuple[str, str] | None:
    """(verb for the aria-label, form action) for a day cell, or None when nothing can be done."""
    d = date.fromisoformat(day["date"])
    when = long_day(d, year=False)
    if activity is None:
        if day["activities"]:
            return f"Voir les activités du {when}", "/reservations/jour"
        return None
    if day["pending"] == "reserve":
        return f"Retirer la demande de réservation du {when}", "/reservations/basculer"
    if day["pending"] == "cancel":
        return f"Retirer la demande d'annulation du {when}", "/reservations/basculer"
    if day["state"] in BOOKABLE:
        return f"Réserver le {when}", "/reservations/basculer"
    if day["state"] in CANCELLABLE:
        return f"Annuler la réservation du {when}", "/reservations/basculer"
    return None


def weeks_of(days: list[dict], activity: dict | None) -> list[list[dict | None]]:
    cells: list[dict | None] = [None] * date.fromisoformat(days[0]["date"]).weekday()
    for day in days:
        d = date.fromisoformat(day["date"])
        action = day_action(day, activity)
        cells.append({**day, "number": d.day, "long": long_day(d, year=False),
                      "aria": action[0] if action else f"{long_day(d, year=False)} : {day['label']}",
                      "action": action[1] if action else None})
    cells += [None] * (-len(cells) % 7)
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]


async def calendar_page(request: web.Request, account: Account, child_id: str | None, activity_id: str | None,
                        month: str | None, basket: list[dict], message: str | None = None,
                        status: int = 200, reprise_possible: bool = False) -> web.Response:
    children = await family_children(request, account)
    child = pick_child(children, child_id)
    activity = pick_activity(child, activity_id)
    month = parse_month(month)
    data = await call(request, account, "POST", "/v1/calendar", {
        "child_id": child["id"], "month": month, "activity_id": activity["id"] if activity else None,
        "basket": basket})
    pending_here = sum(1 for line in basket if line["child_id"] == child["id"])
    return render(request, "reservations.html", status=status, children=children, child=child, activity=activity,
                  month=month, month_title=month_title(month), previous=shift_month(month, -1),
                  next=shift_month(month, 1), weeks=weeks_of(data["days"], activity),
                  weekdays=list(enumerate(WEEKDAYS_SHORT)), weekday_names=WEEKDAYS,
                  legend=[entry for entry in data["legend"] if entry["state"] != "closed"],
                  closed_label=next((e["label"] for e in data["legend"] if e["state"] == "closed"), ""),
                  has_limit=bool(activity) and any(d["remaining"] is not None for d in data["days"]),
                  basket=basket, panier=basket_json(basket), pending_total=len(basket), pending_here=pending_here,
                  message=message, reprise_possible=reprise_possible)


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


def toggled(basket: list[dict], child_id: str, entry: dict) -> tuple[list[dict], str | None]:
    """One click on a day of an activity: a pending click is taken back, otherwise a booking is asked for
    (or cancelled). Returns the new basket and a message when nothing could be done."""
    k = (child_id, entry["activity_id"], entry["date"])
    if entry.get("pending"):
        return without(basket, k), None
    line = {"child_id": child_id, "activity_id": entry["activity_id"], "date": entry["date"]}
    if entry["state"] in BOOKABLE:
        return basket + [{**line, "action": "reserve"}], None
    if entry["state"] in CANCELLABLE:
        return basket + [{**line, "action": "cancel"}], None
    return basket, "Ce jour ne peut être ni réservé ni annulé."


@parent_page
async def toggle_day(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    children = await family_children(request, account)
    child = pick_child(children, form.get("enfant"), required=True)
    activity = pick_activity(child, form.get("activite"))
    day = parse_date(form.get("jour"))
    if activity is None:
        return await day_page(request, account, children, child, day, basket, form.get("mois"))
    data = await call(request, account, "POST", "/v1/day", {"child_id": child["id"], "date": day.isoformat(),
                                                            "basket": basket})
    entry = next((a for a in data["activities"] if a["activity_id"] == activity["id"]), None)
    if entry is None:
        return await calendar_page(request, account, child["id"], activity["id"], form.get("mois"), basket,
                                   message="L'activité n'est pas ouverte ce jour.", status=409)
    if activity["kind"] == "time_entry" and not entry.get("pending") and entry["state"] in BOOKABLE:
        # the hours are chosen on the day view
        return await day_page(request, account, children, child, day, basket, form.get("mois"),
                              open_times=activity["id"])
    basket, message = toggled(basket, child["id"], entry)
    return await calendar_page(request, account, child["id"], activity["id"], form.get("mois"), basket,
                               message=message)


@parent_page
async def quick_tool(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    children = await family_children(request, account)
    child = pick_child(children, form.get("enfant"), required=True)
    activity = pick_activity(child, form.get("activite"))
    month = parse_month(form.get("mois"))
    if activity is None:
        raise PageError(400, "Activité manquante", "Choisissez une activité pour utiliser les outils rapides.")
    tool = form.get("outil", "")
    body = {"child_id": child["id"], "activity_id": activity["id"], "month": month, "basket": basket}
    if tool == "mois":
        body["scope"] = "month"
    elif tool.startswith("semaine:"):
        body.update(scope="week", day=parse_date(tool.split(":", 1)[1]).isoformat())
    elif tool.startswith("jour-semaine:") and tool[13:] in "0123456" and len(tool) == 14:
        body.update(scope="weekday", weekday=int(tool[13:]))
    else:
        raise PageError(400, "Outil inconnu", "Cet outil de sélection rapide n'existe pas.")
    basket = (await call(request, account, "POST", "/v1/basket/quick", body))["basket"]
    return await calendar_page(request, account, child["id"], activity["id"], month, parse_basket(json.dumps(basket)))


@parent_page
async def drop_all(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    parse_basket(form.get("panier"))
    return await calendar_page(request, account, form.get("enfant"), form.get("activite"), form.get("mois"), [],
                               message="Vos demandes en cours ont été abandonnées.")


# -- the day view ---------------------------------------------------------------------------------------
async def day_page(request: web.Request, account: Account, children: list[dict], child: dict, day: date,
                   basket: list[dict], month: str | None, message: str | None = None, open_times: str | None = None,
                   status: int = 200) -> web.Response:
    data = await call(request, account, "POST", "/v1/day", {"child_id": child["id"], "date": day.isoformat(),
                                                            "basket": basket})
    pending = {line["activity_id"]: line for line in basket
               if line["child_id"] == child["id"] and line["date"] == day.isoformat()}
    rows = []
    for a in data["activities"]:
        line = pending.get(a["activity_id"])
        rows.append({**a, "line": line,
                     "shown_arrival": (line or {}).get("arrival") or a["arrival"] or a["start"],
                     "shown_departure": (line or {}).get("departure") or a["departure"] or a["end"],
                     "can_toggle": bool(a["pending"]) or a["state"] in BOOKABLE + CANCELLABLE})
    return render(request, "reservations_jour.html", status=status, children=children, child=child, day=day,
                  day_label=long_day(day), month=parse_month(month) if month else day.strftime("%Y-%m"),
                  rows=rows, panier=basket_json(basket), pending_total=len(basket), message=message,
                  open_times=open_times)


@parent_page
async def day_view(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    children = await family_children(request, account)
    child = pick_child(children, form.get("enfant"), required=True)
    day = parse_date(form.get("jour"))
    target, message = form.get("basculer") or form.get("heures") or form.get("effacer"), None
    if target:
        activity = pick_activity(child, target)
        data = await call(request, account, "POST", "/v1/day", {"child_id": child["id"], "date": day.isoformat(),
                                                                "basket": basket})
        entry = next((a for a in data["activities"] if a["activity_id"] == activity["id"]), None)
        if entry is None:
            message = "L'activité n'est pas ouverte ce jour."
        elif form.get("heures"):
            arrival, departure = form.get(f"arrivee-{target}", "")[:5], form.get(f"depart-{target}", "")[:5]
            if not (TIME_RE.match(arrival) and TIME_RE.match(departure)):
                message = "Choisissez l'heure d'arrivée et l'heure de départ."
            elif not (entry["start"] <= arrival < departure <= entry["end"]):
                message = f"Les horaires doivent être choisis entre {entry['start']} et {entry['end']}."
            elif entry["state"] not in BOOKABLE:
                message = "Cette activité ne peut pas être réservée ce jour."
            else:
                k = (child["id"], activity["id"], day.isoformat())
                basket = without(basket, k) + [{"child_id": k[0], "activity_id": k[1], "date": k[2],
                                                "action": "reserve", "arrival": arrival, "departure": departure}]
        elif form.get("effacer"):
            k = (child["id"], activity["id"], day.isoformat())
            basket = without(basket, k)
            if entry["state"] in CANCELLABLE and not entry.get("pending"):
                basket.append({"child_id": k[0], "activity_id": k[1], "date": k[2], "action": "cancel"})
        elif activity["kind"] == "time_entry" and not entry.get("pending") and entry["state"] in BOOKABLE:
            return await day_page(request, account, children, child, day, basket, form.get("mois"),
                                  open_times=activity["id"])
        else:
            basket, message = toggled(basket, child["id"], entry)
    return await day_page(request, account, children, child, day, basket, form.get("mois"), message=message)


# -- copy -------------------------------------------------------------------------------------------------
@parent_page
async def copy_page(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    children = await family_children(request, account)
    month = parse_month(form.get("mois"))
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
    start, end = parse_date(form.get("du"), "La date de début"), parse_date(form.get("au"), "La date de fin")
    errors = []
    if source_activity is None or target_activity is None:
        errors.append("Choisissez l'activité à recopier et l'activité sur laquelle l'importer.")
    if end < start or (end - start).days > 62:
        errors.append("La période à recopier doit aller du début à la fin, sur deux mois au plus.")
    if errors:
        return render(request, "reservations_recopier.html", status=400, **context, errors=errors,
                      source_child=source["id"], source_activity=form.get("source_activite") or "",
                      start=start.isoformat(), end=end.isoformat(), target_child=target["id"],
                      target_activity=form.get("cible_activite") or "")
    result = await call(request, account, "POST", "/v1/basket/copy", {
        "source_child_id": source["id"], "source_activity_id": source_activity["id"], "start": start.isoformat(),
        "end": end.isoformat(), "target_child_id": target["id"], "target_activity_id": target_activity["id"],
        "basket": basket})
    basket = parse_basket(json.dumps(result["basket"]))
    return render(request, "reservations_recopie.html", children=children, source=source, target=target,
                  source_activity=source_activity, target_activity=target_activity,
                  period=f"{start:%d/%m/%Y} au {end:%d/%m/%Y}", not_imported=result["not_imported"],
                  imported=sum(1 for line in basket if line["child_id"] == target["id"]
                               and line["activity_id"] == target_activity["id"] and start.isoformat()
                               <= line["date"] <= end.isoformat()),
                  month=start.strftime("%Y-%m"), panier=basket_json(basket), pending_total=len(basket))


# -- recap and confirmation ------------------------------------------------------------------------------
@parent_page
async def recap_page(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    back = {"enfant": form.get("enfant", ""), "activite": form.get("activite", ""), "mois": form.get("mois", "")}
    if not basket:
        return await calendar_page(request, account, back["enfant"] or None, back["activite"] or None,
                                   back["mois"] or None, [], message="Vous n'avez aucune demande en cours à valider.")
    children = await family_children(request, account)
    data = await call(request, account, "POST", "/v1/basket/recap", {"lines": basket})
    groups = []
    for child in children:
        reservations = [r for r in data["reservations"] if r["child_id"] == child["id"]]
        cancellations = [r for r in data["cancellations"] if r["child_id"] == child["id"]]
        if reservations or cancellations:
            groups.append({"name": child_name(child), "reservations": reservations, "cancellations": cancellations})
    problems = sum(1 for r in data["reservations"] + data["cancellations"] if not r["ok"])
    return render(request, "reservations_recapitulatif.html", groups=groups, problems=problems,
                  panier=basket_json(basket), back=back, pending_total=len(basket))


OUTCOMES = {"accepted": "Acceptée", "pending": "En attente de réponse", "cancelled": "Annulée"}


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


@parent_page
async def confirm_page(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    if not basket:
        raise PageError(400, "Aucune demande", "Vous n'avez aucune demande en cours à valider.")
    children = await family_children(request, account)
    names = {c["id"]: child_name(c) for c in children}
    results = (await call(request, account, "POST", "/v1/basket/confirm", {"lines": basket}))["results"]
    rows = [{"date": r["date"], "day": f"{WEEKDAYS_SHORT[date.fromisoformat(r['date']).weekday()][:2]} "
                                       f"{date.fromisoformat(r['date']):%d/%m/%Y}",
             "child": names.get(r["child_id"], ""), "activity": r.get("activity") or "",
             "kind": "Réservation" if r["action"] == "reserve" else "Annulation",
             "outcome": r["outcome"], "text": outcome_text(r)} for r in results]
    rows.sort(key=lambda r: (r["date"], r["child"], r["activity"]))
    back = {"enfant": form.get("enfant", ""), "activite": form.get("activite", ""), "mois": form.get("mois", "")}
    return render(request, "reservations_resultat.html", rows=rows, panier="[]", pending_total=0,
                  back_url="/reservations?" + urlencode({k: v for k, v in back.items() if v}))


# -- follow-up and calendar feed -----------------------------------------------------------------------------
async def follow_page(request: web.Request, account: Account, params, feed_url: str | None = None,
                      feed_message: str | None = None) -> web.Response:
    children = await family_children(request, account)
    child = pick_child(children, params.get("enfant")) if params.get("enfant") else None
    activities = {a["id"]: a for c in children for a in c["activities"]}
    activity_id = params.get("activite") or ""
    if activity_id and activity_id not in activities:
        raise PageError(404, "Activité introuvable", "Cette activité n'est pas proposée à votre famille.")
    start = parse_date(params.get("du"), "La date de début") if params.get("du") else None
    end = parse_date(params.get("au"), "La date de fin") if params.get("au") else None
    types = [t for t in params.getall("types", []) if t in dict(FOLLOW_TYPES)] if params.get("filtre") \
        else [t for t, _ in FOLLOW_TYPES]
    query = {"types": ",".join(types)}
    if child:
        query["child_id"] = child["id"]
    if activity_id:
        query["activity_id"] = activity_id
    if start:
        query["from"] = start.isoformat()
    if end:
        query["to"] = end.isoformat()
    data = await call(request, account, "GET", "/v1/follow-up?" + urlencode(query))
    return render(request, "reservations_suivi.html", children=children, child=child,
                  activities=sorted(activities.values(), key=lambda a: a["name"]), activity_id=activity_id,
                  start=start.isoformat() if start else "", end=end.isoformat() if end else "",
                  types=types, follow_types=FOLLOW_TYPES, lines=data["lines"], total=data["total_accepted"],
                  feed_url=feed_url, feed_message=feed_message)


@parent_page
async def follow_get(request: web.Request, account: Account) -> web.Response:
    return await follow_page(request, account, request.query)


@parent_page
async def feed_create(request: web.Request, account: Account) -> web.Response:
    await checked_form(request)
    token = (await call(request, account, "POST", "/v1/feed"))["token"]
    base = request.app[SETTINGS].public_url.rstrip("/")
    return await follow_page(request, account, request.query, feed_url=f"{base}/calendrier/{token}.ics",
                             feed_message="Votre lien privé a été créé. Tout ancien lien ne fonctionne plus.")


@parent_page
async def feed_revoke(request: web.Request, account: Account) -> web.Response:
    await checked_form(request)
    await call(request, account, "DELETE", "/v1/feed")
    return await follow_page(request, account, request.query,
                             feed_message="Votre lien privé a été supprimé : il ne fonctionne plus.")


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/reservations", calendar_get)
    r.add_post("/reservations", calendar_post)
    r.add_post("/reservations/basculer", toggle_day)
    r.add_post("/reservations/rapide", quick_tool)
    r.add_post("/reservations/annuler", drop_all)
    r.add_post("/reservations/jour", day_view)
    r.add_post("/reservations/recopier", copy_page)
    r.add_post("/reservations/recapitulatif", recap_page)
    r.add_post("/reservations/confirmer", confirm_page)
    r.add_get("/reservations/suivi", follow_get)
    r.add_post("/reservations/calendrier", feed_create)
    r.add_post("/reservations/calendrier/supprimer", feed_revoke)
