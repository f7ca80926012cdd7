"""Gestion: the staff and administrators' pages, one structure at a time (the account's current structure,
chosen with the header's drop-down). Server-rendered, working without JavaScript; every form carries the
CSRF token; a service's refusal is shown with its French explanation, never as a 500."""

from __future__ import annotations

import re
import typing
import uuid
from datetime import date, timedelta
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel

from kit.clock import paris_today
from services.gateway.backend import ServiceError, ServiceUnavailable
from services.gateway.render import render
from services.gateway.session import BACKEND, Account, checked_form, signed_in

STAFF = ("staff", "admin")
ADMIN = ("admin",)

WEEKDAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
KINDS = {"fixed": "Horaires fixes", "time_entry": "Heures d'arrivée et de départ"}
PERIODS = {"school": "Période scolaire", "holidays": "Vacances scolaires", "all": "Toute l'année"}
UNITS = {"session": "par séance", "half_hour": "par demi-heure", "hour": "par heure"}
METHODS = {"cash": "Espèces", "cheque": "Chèque", "card": "Carte bancaire", "cesu": "CESU", "transfer": "Virement"}
BRACKET_ROWS = 5
CHILD_ROWS = 3

DONE = {
    "actualites": "✓ Les actualités ont bien été publiées",
    "activite": "✓ L'activité a bien été créée",
    "vacances": "✓ Les vacances scolaires ont bien été enregistrées",
    "fermeture": "✓ La fermeture a bien été enregistrée",
    "places": "✓ Le nombre de places a bien été modifié",
    "tarif": "✓ Le tarif a bien été publié",
    "decision": "✓ La décision a bien été enregistrée",
    "securite": "✓ La famille devra choisir un nouveau mot de passe à sa prochaine connexion",
    "paiement": "✓ Le paiement a bien été enregistré",
    "dossier": "✓ La décision sur la fiche a bien été enregistrée",
}

# Service field names → French, for the validation errors a service returns.
FIELD_LABELS = {
    "name": "Nom", "start_time": "Heure de début", "end_time": "Heure de fin", "capacity": "Places",
    "days_before": "Nombre de jours", "at": "Heure limite", "weekdays": "Jours de la semaine", "start": "Début",
    "end": "Fin", "label": "Libellé", "effective_from": "Date d'application", "price_cents": "Prix",
    "qf_max": "Plafond de quotient familial", "reduced_price_cents": "Prix réduit",
    "reduced_from_rank": "Réduction à partir du rang", "identifiant": "Identifiant", "first_name": "Prénom",
    "last_name": "Nom", "birth_date": "Date de naissance", "emails": "Adresses courriel",
    "initial_password": "Mot de passe initial", "family_id": "Famille", "amount": "Montant", "method": "Moyen",
    "reference": "Référence", "month": "Mois", "school_year": "Année scolaire", "title": "Titre",
    "body_html": "Texte", "reason": "Motif", "news_html": "Actualités",
}


class Refused(Exception):
    """A form the gateway itself refuses before calling a service (French messages)."""

    def __init__(self, *messages: str):
        self.messages = list(messages)
        super().__init__(" ".join(messages))


# -- calling the services -------------------------------------------------------------------------------
def messages_of(body) -> list[str]:
    """A service's refusal as French sentences: its detail, its messages, its field errors."""
    if not isinstance(body, dict):
        return ["Votre demande n'a pas pu aboutir."]
    if body.get("messages"):
        return [str(m) for m in body["messages"]]
    out = [body.get("detail") or body.get("title") or "Votre demande n'a pas pu aboutir."]
    for error in body.get("errors") or []:
        field = str(error.get("champ", "")).split(".")
        name = next((FIELD_LABELS[p] for p in reversed(field) if p in FIELD_LABELS), None)
        message = str(error.get("message", "")).removeprefix("Value error, ")
        out.append(f"{name} : {message}" if name else message)
    return out


async def call(request: web.Request, account: Account, service: str, method: str, path: str, *,
               ok: tuple[int, ...] = (200, 201, 204), **kwargs):
    """A service call whose refusal (4xx) becomes `Refused` with its French detail; a 5xx, an error page."""
    status, body = await request.app[BACKEND].request(service, method, path, account.identity, **kwargs)
    if status in ok:
        return body
    if 400 <= status < 500:
        raise Refused(*messages_of(body))
    raise ServiceError(service, status, body)


async def fetch(request: web.Request, account: Account, service: str, path: str, **query):
    """A read for a page: missing → 404 page, refused → 403 page, anything else wrong → error page."""
    if query:
        path += "?" + urlencode({k: v for k, v in query.items() if v is not None})
    status, body = await request.app[BACKEND].request(service, "GET", path, account.identity)
    if status == 200:
        return body
    if status == 404:
        raise web.HTTPNotFound()
    if status == 403:
        raise web.HTTPForbidden()
    raise ServiceError(service, status, body)


def structure_id(account: Account) -> str:
    if not account.current_structure_id:
        raise web.HTTPForbidden(text="Aucune structure ne vous est rattachée.")
    return account.current_structure_id


def done_message(request: web.Request) -> str | None:
    return DONE.get(request.query.get("fait", ""))


def _redirect(path: str, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{path}{'&' if '?' in path else '?'}fait={done}")


# -- reading forms ----------------------------------------------------------------------------------------
def _text(form: dict, name: str, max_length: int = 200) -> str:
    return form.get(name, "").strip()[:max_length]


def _int(form: dict, name: str, label: str, *, required: bool = False, minimum: int = 0) -> int | None:
    raw = form.get(name, "").strip()
    if not raw:
        if required:
            raise Refused(f"{label} : à renseigner.")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise Refused(f"{label} : un nombre entier est attendu (« {raw[:20]} »).") from None
    if value < minimum:
        raise Refused(f"{label} : {minimum} au minimum.")
    return value


def _date(form: dict, name: str, label: str, *, required: bool = True) -> str | None:
    raw = form.get(name, "").strip()
    if not raw:
        if required:
            raise Refused(f"{label} : à renseigner.")
        return None
    for pattern in (r"(\d{4})-(\d{2})-(\d{2})", r"(\d{1,2})/(\d{1,2})/(\d{4})"):
        if m := re.fullmatch(pattern, raw):
            parts = m.groups() if pattern.startswith(r"(\d{4})") else tuple(reversed(m.groups()))
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
            except ValueError:
                break
    raise Refused(f"{label} : date invalide (« {raw[:20]} »), format attendu JJ/MM/AAAA.")


def _time(form: dict, name: str, label: str, default: str | None = None) -> str:
    raw = form.get(name, "").strip() or default or ""
    if not re.fullmatch(r"([01]?\d|2[0-3])[:h]([0-5]\d)", raw):
        raise Refused(f"{label} : heure invalide (« {raw[:10]} »), format attendu HH:MM.")
    hours, minutes = re.split(r"[:h]", raw)
    return f"{int(hours):02d}:{minutes}"


def _check(form: dict, name: str) -> bool:
    return form.get(name) in ("oui", "on", "1", "true")


def euros_to_cents(raw: str, label: str, *, required: bool = True) -> int | None:
    raw = raw.strip().replace("€", "").replace(" ", "").replace("\u00a0", "")
    if not raw:
        if required:
            raise Refused(f"{label} : à renseigner.")
        return None
    if not re.fullmatch(r"\d{1,6}([.,]\d{1,2})?", raw):
        raise Refused(f"{label} : montant invalide (« {raw[:20]} »), exemple : 3,45.")
    units, _, cents = raw.replace(",", ".").partition(".")
    return int(units) * 100 + int((cents + "00")[:2])


async def review_queue(request: web.Request, account: Account) -> list[dict] | None:
    """The sheets awaiting review; None when no dossier campaign is open."""
    status, body = await request.app[BACKEND].request("dossier", "GET", "/v1/review", account.identity)
    if status == 404:
        return None
    if status != 200:
        raise ServiceError("dossier", status, body)
    return body["sheets"]


# -- dashboard ---------------------------------------------------------------------------------------------
@signed_in(roles=STAFF)
async def dashboard(request: web.Request, account: Account) -> web.Response:
    sid = account.current_structure_id
    pending = sheets = None
    if sid:
        pending = len((await fetch(request, account, "booking", "/v1/requests", structure_id=sid))["requests"])
        queue = await review_queue(request, account)
        sheets = len(queue) if queue is not None else None
    return render(request, "gestion.html", section="tableau", pending=pending, sheets=sheets)


# -- Actualités -----------------------------------------------------------------------------------------------
async def _news_page(request, account, status=200, **extra):
    structures = (await fetch(request, account, "auth", "/v1/structures"))["structures"]
    current = next((s for s in structures if s["id"] == account.current_structure_id), None)
    context = {"news_html": current["news_html"] if current else "", **extra}
    return render(request, "gestion_actualites.html", status=status, section="actualites",
                  done=done_message(request), **context)


@signed_in(roles=STAFF)
async def news_page(request: web.Request, account: Account) -> web.Response:
    structure_id(account)
    return await _news_page(request, account)


@signed_in(roles=STAFF)
async def news_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sid = structure_id(account)
    try:  # auth, which owns the news, removes scripts and the like (services/auth/news.py)
        await call(request, account, "auth", "PUT", f"/v1/structures/{sid}/news",
                   json={"news_html": form.get("actualites", "")})
    except Refused as exc:
        return await _news_page(request, account, status=422, errors=exc.messages, news_html=form.get("actualites", ""))
    raise _redirect("/gestion/actualites", "actualites")


# -- Activités ------------------------------------------------------------------------------------------------
def _hhmm(value) -> str:
    return str(value or "")[:5]


async def _activities(request, account) -> list[dict]:
    rows = (await fetch(request, account, "booking", "/v1/activities", structure_id=structure_id(account)))
    return rows["activities"]


async def _activities_page(request, account, status=200, **extra):
    activities = await _activities(request, account)
    return render(request, "gestion_activites.html", status=status, section="activites", activities=activities,
                  kinds=KINDS, hhmm=_hhmm, done=done_message(request), form=extra.pop("form", {}), **extra)


@signed_in(roles=STAFF)
async def activities_page(request: web.Request, account: Account) -> web.Response:
    return await _activities_page(request, account)


def _deadline(form: dict, prefix: str, label: str) -> dict:
    return {"days_before": _int(form, f"{prefix}_jours", f"{label} : nombre de jours", required=True) or 0,
            "working_days": _check(form, f"{prefix}_ouvres"),
            "at": _time(form, f"{prefix}_heure", f"{label} : heure limite", "10:00")}


@signed_in(roles=STAFF)
async def activity_create(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sid = structure_id(account)
    try:
        known = {a["id"] for a in await _activities(request, account)}
        body = {
            "structure_id": sid, "name": _text(form, "nom", 120),
            "kind": form.get("type") if form.get("type") in KINDS else "fixed",
            "start_time": _time(form, "debut", "Heure de début"), "end_time": _time(form, "fin", "Heure de fin"),
            "capacity": _int(form, "places", "Nombre de places", minimum=1),
            "waitlist_allowed": _check(form, "liste_attente"), "needs_approval": _check(form, "validation"),
            "requires_house_rules": _check(form, "reglement"), "enrolment_required": _check(form, "inscription"),
            "booking_deadline": _deadline(form, "reservation", "Délai de réservation"),
            "cancel_deadline": _deadline(form, "annulation", "Délai d'annulation"),
            "incompatible_with": [v for k, v in (await request.post()).items()
                                  if k == "incompatible" and isinstance(v, str) and v in known],
        }
        if len(body["name"]) < 2:
            raise Refused("Nom de l'activité : au moins 2 caractères.")
        created = await call(request, account, "booking", "POST", "/v1/activities", json=body)
    except Refused as exc:
        return await _activities_page(request, account, status=422, errors=exc.messages, form=form)
    raise _redirect(f"/gestion/activites/{created['id']}", "activite")


async def _period(request, account, what: str, path_part: str):
    form = await checked_form(request)
    sid = structure_id(account)
    try:
        body = {"start": _date(form, f"{what}_debut", "Début"), "end": _date(form, f"{what}_fin", "Fin"),
                "label": _text(form, f"{what}_libelle", 120)}
        if what == "fermeture" and form.get("fermeture_activite"):
            body["activity_id"] = form["fermeture_activite"]
        result = await call(request, account, "booking", "POST", f"/v1/structures/{sid}/{path_part}", json=body)
    except Refused as exc:
        return await _activities_page(request, account, status=422, **{f"{what}_errors": exc.messages}, form=form)
    if what == "fermeture" and result and result.get("booked_days_kept"):
        return await _activities_page(request, account, fermeture_kept=result["booked_days_kept"])
    raise _redirect("/gestion/activites", what)


@signed_in(roles=STAFF)
async def holidays_submit(request: web.Request, account: Account) -> web.Response:
    return await _period(request, account, "vacances", "school-holidays")


@signed_in(roles=STAFF)
async def closure_submit(request: web.Request, account: Account) -> web.Response:
    return await _period(request, account, "fermeture", "closures")


def _valid_uuid(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise web.HTTPNotFound() from None


async def _activity(request, account) -> dict:
    activity_id = _valid_uuid(request.match_info["activity_id"])
    activity = next((a for a in await _activities(request, account) if a["id"] == activity_id), None)
    if activity is None:
        raise web.HTTPNotFound()
    return activity


def _range(query) -> tuple[date, date]:
    today = paris_today()
    try:
        start = date.fromisoformat(query.get("du", "")) if query.get("du") else today
        end = date.fromisoformat(query.get("au", "")) if query.get("au") else start + timedelta(days=42)
    except ValueError:
        start, end = today, today + timedelta(days=42)
    if end < start or (end - start).days > 400:
        end = start + timedelta(days=42)
    return start, end


async def _activity_page(request, account, status=200, **extra):
    activity = await _activity(request, account)
    start, end = _range(request.query)
    sessions = (await fetch(request, account, "booking", "/v1/sessions", activity_id=activity["id"],
                            **{"from": start.isoformat(), "to": end.isoformat()}))["sessions"]
    for s in sessions:
        day = date.fromisoformat(s["date"])
        s["label"] = f"{WEEKDAYS[day.weekday()]} {day.strftime('%d/%m/%Y')}"
    return render(request, "gestion_activite.html", status=status, section="activites", activity=activity,
                  sessions=sessions, start=start.isoformat(), end=end.isoformat(), weekdays=WEEKDAYS, periods=PERIODS,
                  units=UNITS, kinds=KINDS, hhmm=_hhmm, bracket_rows=BRACKET_ROWS, done=done_message(request),
                  opened=request.query.get("ouvertes") if request.query.get("ouvertes", "").isdigit() else None,
                  form=extra.pop("form", {}), **extra)


@signed_in(roles=STAFF)
async def activity_page(request: web.Request, account: Account) -> web.Response:
    return await _activity_page(request, account)


@signed_in(roles=STAFF)
async def openings_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    activity = await _activity(request, account)
    posted = await request.post()
    try:
        weekdays = sorted({int(v) for k, v in posted.items() if k == "jour" and isinstance(v, str) and v.isdigit()
                           and 0 <= int(v) <= 6})
        if not weekdays:
            raise Refused("Cochez au moins un jour de la semaine.")
        body = {"weekdays": weekdays, "period": form.get("periode") if form.get("periode") in PERIODS else "school",
                "start": _date(form, "ouverture_debut", "Début"), "end": _date(form, "ouverture_fin", "Fin"),
                "capacity": _int(form, "ouverture_places", "Nombre de places", minimum=1)}
        result = await call(request, account, "booking", "POST", f"/v1/activities/{activity['id']}/openings",
                            json=body)
    except Refused as exc:
        return await _activity_page(request, account, status=422, opening_errors=exc.messages, form=form)
    query = urlencode({"du": body["start"], "au": body["end"], "ouvertes": result["created"]})
    raise web.HTTPSeeOther(f"/gestion/activites/{activity['id']}?{query}")


@signed_in(roles=STAFF)
async def capacity_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    activity = await _activity(request, account)
    session_id = _valid_uuid(request.match_info["session_id"])
    try:
        capacity = _int(form, "places", "Nombre de places")
        await call(request, account, "booking", "PUT", f"/v1/sessions/{session_id}/capacity",
                   json={"capacity": capacity})
    except Refused as exc:
        return await _activity_page(request, account, status=422, capacity_errors=exc.messages,
                                    capacity_session=session_id)
    query = urlencode({k: form[k] for k in ("du", "au") if form.get(k)})
    raise _redirect(f"/gestion/activites/{activity['id']}" + (f"?{query}" if query else ""), "places")


@signed_in(roles=STAFF)
async def tariff_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    activity = await _activity(request, account)
    try:
        brackets = []
        for i in range(BRACKET_ROWS):
            price = form.get(f"prix_{i}", "").strip()
            ceiling = form.get(f"qf_{i}", "").strip()
            if not price and not ceiling:
                continue
            brackets.append({
                "qf_max": _int(form, f"qf_{i}", f"Tranche {i + 1} : plafond de QF"),
                "price_cents": euros_to_cents(price, f"Tranche {i + 1} : prix"),
                "reduced_price_cents": euros_to_cents(form.get(f"reduit_{i}", ""), f"Tranche {i + 1} : prix réduit",
                                                      required=False)})
        if not brackets:
            raise Refused("Renseignez au moins une tranche (prix).")
        body = {"structure_id": activity["structure_id"], "activity_id": activity["id"],
                "activity_name": activity["name"], "effective_from": _date(form, "application", "Date d'application"),
                "unit": form.get("unite") if form.get("unite") in UNITS else "session", "brackets": brackets,
                "reduced_from_rank": _int(form, "rang", "Réduction à partir du rang", minimum=2)}
        await call(request, account, "billing", "POST", "/v1/tariffs", json=body)
    except Refused as exc:
        return await _activity_page(request, account, status=422, tariff_errors=exc.messages, form=form)
    raise _redirect(f"/gestion/activites/{activity['id']}", "tarif")


# -- Demandes -------------------------------------------------------------------------------------------------
async def _requests_page(request, account, status=200, **extra):
    rows = (await fetch(request, account, "booking", "/v1/requests", structure_id=structure_id(account)))["requests"]
    for r in rows:
        r["day"] = date.fromisoformat(r["date"]).strftime("%d/%m/%Y")
    return render(request, "gestion_demandes.html", status=status, section="demandes", requests=rows,
                  done=done_message(request), **extra)


@signed_in(roles=STAFF)
async def requests_page(request: web.Request, account: Account) -> web.Response:
    return await _requests_page(request, account)


@signed_in(roles=STAFF)
async def decision_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    booking_id = _valid_uuid(request.match_info["booking_id"])
    decision = form.get("decision")
    try:
        if decision not in ("accept", "refuse"):
            raise Refused("Choisissez Accepter ou Refuser.")
        reason = _text(form, "motif", 300) or None
        await call(request, account, "booking", "POST", f"/v1/requests/{booking_id}/decision",
                   json={"decision": decision, "reason": reason})
    except Refused as exc:
        return await _requests_page(request, account, status=422, errors=exc.messages)
    raise _redirect("/gestion/demandes", "decision")


# -- Dossiers -------------------------------------------------------------------------------------------------
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
    """The sheet's data as (depth, label, value) rows, labelled with the dossier's French field descriptions."""
    rows: list[dict] = []
    fields = model.model_fields if model else {}
    names = list(fields) + [k for k in data if k not in fields]
    for name in names:
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
    sheets = await review_queue(request, account)
    return render(request, "gestion_dossiers.html", section="dossiers", sheets=sheets or [],
                  no_campaign=sheets is None, done=done_message(request))


async def _sheet_page(request, account, status=200, **extra):
    from services.dossier.domain.sheets import LABELS, MODELS, SheetKind
    from services.dossier.domain.states import STATE_LABELS, SheetState

    sheet_id = _valid_uuid(request.match_info["sheet_id"])
    sheet = await fetch(request, account, "dossier", f"/v1/staff/sheets/{sheet_id}")
    try:
        kind = SheetKind(sheet["kind"])
        model, label = MODELS[kind], LABELS[kind]
    except ValueError:
        model, label = None, sheet["kind"]
    queue = await review_queue(request, account) or []
    listed = next((s for s in queue if s["id"] == sheet_id), None)
    try:
        state_label = STATE_LABELS[SheetState(sheet["state"])]
    except (ValueError, KeyError):
        state_label = sheet["state"]
    return render(request, "gestion_dossier.html", status=status, section="dossiers", sheet=sheet, label=label,
                  state_label=state_label,
                  rows=sheet_rows(sheet.get("data") or {}, model), listed=listed, **extra)


@signed_in(roles=STAFF)
async def sheet_page(request: web.Request, account: Account) -> web.Response:
    return await _sheet_page(request, account)


@signed_in(roles=STAFF)
async def sheet_review(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sheet_id = _valid_uuid(request.match_info["sheet_id"])
    decision = form.get("decision")
    reason = form.get("motif", "").strip()[:1000]
    try:
        if decision not in ("approved", "refused"):
            raise Refused("Choisissez Valider ou Refuser.")
        if decision == "refused" and not reason:
            raise Refused("Indiquez le motif du refus : il est envoyé à la famille.")
        await call(request, account, "dossier", "POST", f"/v1/staff/sheets/{sheet_id}/review",
                   json={"decision": decision, "reason": reason or None})
    except Refused as exc:
        return await _sheet_page(request, account, status=422, errors=exc.messages, motif=reason)
    raise _redirect("/gestion/dossiers", "dossier")


# -- Familles -------------------------------------------------------------------------------------------------
def _families_page(request, status=200, **extra):
    return render(request, "gestion_familles.html", status=status, section="familles", methods=METHODS,
                  child_rows=CHILD_ROWS, done=done_message(request), form=extra.pop("form", {}), **extra)


@signed_in(roles=STAFF)
async def families_page(request: web.Request, account: Account) -> web.Response:
    structure_id(account)
    return _families_page(request)


@signed_in(roles=STAFF)
async def family_create(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sid = structure_id(account)
    try:
        children = []
        for i in range(CHILD_ROWS):
            first, last = _text(form, f"enfant_prenom_{i}", 100), _text(form, f"enfant_nom_{i}", 100)
            born = form.get(f"enfant_naissance_{i}", "").strip()
            if not (first or last or born):
                continue
            if not (first and last and born):
                raise Refused(f"Enfant {i + 1} : prénom, nom et date de naissance sont obligatoires.")
            children.append({"first_name": first, "last_name": last,
                             "birth_date": _date(form, f"enfant_naissance_{i}", f"Enfant {i + 1} : date de naissance")})
        body = {"identifiant": _text(form, "identifiant", 64),
                "responsable": {"first_name": _text(form, "prenom", 100), "last_name": _text(form, "nom", 100),
                                "civilite": form.get("civilite") if form.get("civilite") in ("M.", "Mme") else None},
                "emails": [e for e in re.split(r"[;,\s]+", form.get("courriels", "")) if e][:5],
                "structure_id": sid, "children": children}
        if not re.fullmatch(r"[A-Za-z0-9._-]{3,64}", body["identifiant"]):
            raise Refused("Identifiant : 3 à 64 caractères parmi lettres sans accent, chiffres, « . », « _ », « - ».")
        if not body["responsable"]["first_name"] or not body["responsable"]["last_name"]:
            raise Refused("Responsable : le prénom et le nom sont obligatoires.")
        other_first, other_last = _text(form, "autre_prenom", 100), _text(form, "autre_nom", 100)
        if other_first or other_last:
            if not (other_first and other_last):
                raise Refused("Autre responsable : le prénom et le nom sont obligatoires.")
            body["autre_responsable"] = {"first_name": other_first, "last_name": other_last}
        if form.get("mot_de_passe", "").strip():
            body["initial_password"] = form["mot_de_passe"].strip()
        created = await call(request, account, "auth", "POST", "/v1/families", json=body)
    except Refused as exc:
        return _families_page(request, status=422, family_errors=exc.messages, form=form)
    return _families_page(request, created_family=created)


@signed_in(roles=STAFF)
async def family_import(request: web.Request, account: Account) -> web.Response:
    await checked_form(request)
    structure_id(account)
    upload = (await request.post()).get("fichier")
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise Refused("Choisissez le fichier CSV à importer.")
        data = upload.file.read()
        if not data:
            raise Refused("Le fichier d'import est vide.")
        report = await call(request, account, "auth", "POST", "/v1/families/import", data=data,
                            content_type="text/csv")
    except Refused as exc:
        return _families_page(request, status=422, import_errors=exc.messages)
    return _families_page(request, report=report, filename=upload.filename)


@signed_in(roles=STAFF)
async def security_update(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    raw = form.get("famille", "").strip()
    try:
        try:
            family_id = str(uuid.UUID(raw))
        except ValueError:
            raise Refused(f"Numéro de famille invalide : « {raw[:40]} ».") from None
        await call(request, account, "auth", "POST", f"/v1/families/{family_id}/security-update")
    except Refused as exc:
        return _families_page(request, status=422, security_errors=exc.messages, form=form)
    raise _redirect("/gestion/familles", "securite")


@signed_in(roles=STAFF)
async def payment_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sid = structure_id(account)
    try:
        raw = form.get("paiement_famille", "").strip()
        try:
            family_id = str(uuid.UUID(raw))
        except ValueError:
            raise Refused(f"Numéro de famille invalide : « {raw[:40]} ».") from None
        method = form.get("moyen")
        if method not in METHODS:
            raise Refused("Choisissez le moyen de paiement.")
        amount = form.get("montant", "").strip()
        if not amount:
            raise Refused("Montant : à renseigner.")
        paid = await call(request, account, "billing", "POST", "/v1/payments", json={
            "family_id": family_id, "structure_id": sid, "amount": amount, "method": method,
            "reference": _text(form, "reference", 80)})
    except Refused as exc:
        return _families_page(request, status=422, payment_errors=exc.messages, form=form)
    return _families_page(request, payment=paid)


# -- Exploitation (administrators) --------------------------------------------------------------------------------
async def _operations_page(request, account, status=200, **extra):
    deliveries = (await fetch(request, account, "notify", "/v1/deliveries", status="failed"))["deliveries"]
    return render(request, "gestion_exploitation.html", status=status, section="exploitation",
                  deliveries=deliveries, month=paris_today().strftime("%Y-%m"), form=extra.pop("form", {}),
                  verdicts=await _consistency_verdicts(request, account), **extra)


# resync and consistency check (docs/operations.md): the owners of facts, the consumers of their projections
FACT_OWNERS = ("auth", "dossier", "booking")
PROJECTION_CONSUMERS = ("booking", "billing", "dossier", "notify")


async def _consistency_verdicts(request, account) -> list[dict]:
    """Each consumer's latest verdict per owner; a service that does not answer is said so."""
    verdicts = []
    for service in PROJECTION_CONSUMERS:
        try:
            status, body = await request.app[BACKEND].request(service, "GET", "/v1/ops/consistency", account.identity)
        except ServiceUnavailable:
            status, body = 503, None
        if status != 200 or not isinstance(body, dict):
            verdicts.append({"consumer": service, "owner": "", "unavailable": True, "differences": []})
            continue
        verdicts.extend(body.get("verdicts") or [])
    return verdicts


@signed_in(roles=ADMIN)
async def operations_page(request: web.Request, account: Account) -> web.Response:
    return await _operations_page(request, account)


@signed_in(roles=ADMIN)
async def operations_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    action = request.match_info["action"]
    try:
        if action == "transmission":
            result = await call(request, account, "booking", "POST", "/v1/transmissions")
        elif action == "synthese":
            result = await call(request, account, "notify", "POST", "/v1/digests")
        elif action == "factures":
            month = form.get("mois", "").strip()
            if not re.fullmatch(r"\d{4}-\d{2}", month):
                raise Refused(f"Mois invalide (« {month[:10]} »), format attendu AAAA-MM.")
            result = await call(request, account, "billing", "POST", "/v1/invoices/issue", json={"month": month})
        elif action == "campagne":
            year = form.get("annee", "").strip()
            if not re.fullmatch(r"\d{4}-\d{4}", year):
                raise Refused(f"Année scolaire invalide (« {year[:12]} »), format attendu : 2026-2027.")
            result = await call(request, account, "dossier", "POST", "/v1/campaigns", json={"school_year": year})
        elif action == "resynchronisation":
            family = form.get("famille", "").strip()
            if family and not re.fullmatch(r"[0-9a-fA-F-]{36}", family):
                raise Refused("Identifiant de famille invalide (un identifiant technique est attendu).")
            republished = {}
            for owner in FACT_OWNERS:
                answer = await call(request, account, owner, "POST", "/v1/ops/resync",
                                    json={"family_id": family or None})
                republished.update({k: v for k, v in (answer or {}).items() if k != "service"})
            result = {"republished": republished}
        elif action == "coherence":
            check_id = str(uuid.uuid4())
            for owner in FACT_OWNERS:
                await call(request, account, owner, "POST", "/v1/ops/facts-digest", json={"check_id": check_id})
            result = {"check_id": check_id}
        elif action == "legal":
            kind = form.get("document")
            if kind not in ("rgpd", "cgu"):
                raise Refused("Choisissez le document : RGPD ou CGU.")
            result = await call(request, account, "auth", "POST", f"/v1/legal/{kind}", json={
                "title": _text(form, "titre", 200), "body_html": form.get("texte", "")[:100_000]})
        else:
            raise web.HTTPNotFound()
    except Refused as exc:
        return await _operations_page(request, account, status=422, errors=exc.messages, action=action, form=form)
    return await _operations_page(request, account, action=action, result=result or {}, form=form)


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/gestion", dashboard)
    r.add_get("/gestion/actualites", news_page)
    r.add_post("/gestion/actualites", news_submit)
    r.add_get("/gestion/activites", activities_page)
    r.add_post("/gestion/activites", activity_create)
    r.add_post("/gestion/vacances", holidays_submit)
    r.add_post("/gestion/fermetures", closure_submit)
    r.add_get("/gestion/activites/{activity_id}", activity_page)
    r.add_post("/gestion/activites/{activity_id}/ouvertures", openings_submit)
    r.add_post("/gestion/activites/{activity_id}/seances/{session_id}/places", capacity_submit)
    r.add_post("/gestion/activites/{activity_id}/tarifs", tariff_submit)
    r.add_get("/gestion/demandes", requests_page)
    r.add_post("/gestion/demandes/{booking_id}", decision_submit)
    r.add_get("/gestion/dossiers", sheets_page)
    r.add_get("/gestion/dossiers/{sheet_id}", sheet_page)
    r.add_post("/gestion/dossiers/{sheet_id}", sheet_review)
    r.add_get("/gestion/familles", families_page)
    r.add_post("/gestion/familles", family_create)
    r.add_post("/gestion/familles/import", family_import)
    r.add_post("/gestion/familles/securite", security_update)
    r.add_post("/gestion/paiements", payment_submit)
    r.add_get("/gestion/exploitation", operations_page)
    r.add_post("/gestion/exploitation/{action}", operations_submit)
