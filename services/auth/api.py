"""auth's internal API (behind the gateway). Every route checks who calls it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Literal

import asyncpg
from aiohttp import web
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, Field

from kit.clock import paris_today
from kit.http import json_response, problem, read_model, require_role
from kit.service import APP_KEY
from services.auth import credentials, events, families, policy, sessions
from services.auth.family_import import (
    ImportedChild,
    ImportedFamily,
    ImportedGuardian,
    ImportFileError,
    parse_family_csv,
)
from services.auth.news import clean_html
from services.auth.passwords import PasswordHasher

HASHER = web.AppKey("hasher", PasswordHasher)
SIGNED_IN = ("parent", "staff", "admin")


def _pool(request: web.Request):
    return request.app[APP_KEY].pool


def _settings(request: web.Request):
    return request.app[APP_KEY].settings


def _session_policy(request: web.Request) -> policy.SessionPolicy:
    from datetime import timedelta

    s = _settings(request)
    return policy.SessionPolicy(timedelta(minutes=s.session_idle_minutes), timedelta(hours=s.session_max_hours))


def _refusal(exc: credentials.CredentialError) -> web.Response:
    titles = {404: "Ressource introuvable", 409: "Conflit", 410: "Lien expiré", 422: "Mot de passe refusé",
              429: "Trop de tentatives"}
    return problem(exc.status, titles.get(exc.status, "Requête refusée"), " ".join(exc.messages),
                   messages=exc.messages)


def _session_of(request: web.Request) -> tuple[uuid.UUID, uuid.UUID]:
    who = require_role(request, *SIGNED_IN)
    if who.session_id is None:
        raise web.HTTPForbidden(text="Cette action demande une session ouverte.")
    return uuid.UUID(who.subject), who.session_id


# -- structures (home page) ------------------------------------------------------------------
async def list_structures(request: web.Request) -> web.Response:
    require_role(request, "anonymous", *SIGNED_IN)  # the home page news is public
    rows = await _pool(request).fetch("SELECT id, name, news_html, updated_at FROM structures ORDER BY name")
    # cleaned again on the way out: news stored before they were cleaned on the way in
    return json_response({"structures": [
        {"id": str(r["id"]), "name": r["name"], "news_html": clean_html(r["news_html"]),
         "updated_at": r["updated_at"].isoformat()} for r in rows]})


class StructureIn(BaseModel):
    name: str = Field(min_length=2, max_length=120)


async def create_structure(request: web.Request) -> web.Response:
    require_role(request, "admin")
    body = await read_model(request, StructureIn)
    structure_id = uuid.uuid4()
    async with _pool(request).acquire() as conn, conn.transaction():
        if await conn.fetchval("SELECT 1 FROM structures WHERE lower(name) = lower($1)", body.name.strip()):
            return problem(409, "Conflit", f"Une structure « {body.name.strip()} » existe déjà.")
        await conn.execute("INSERT INTO structures (id, name) VALUES ($1, $2)", structure_id, body.name.strip())
        await events.structure_changed(conn, structure_id)
    return json_response({"id": str(structure_id)}, status=201)


class NewsIn(BaseModel):
    news_html: str = Field(max_length=20_000)


async def update_news(request: web.Request) -> web.Response:
    who = require_role(request, "staff", "admin")
    structure_id = _uuid(request.match_info["structure_id"])
    if not who.may_manage_structure(structure_id):
        raise web.HTTPForbidden(text="Vous ne gérez pas cette structure.")
    body = await read_model(request, NewsIn)
    news_html = clean_html(body.news_html)  # whatever path they came by (page form or JSON API)
    async with _pool(request).acquire() as conn, conn.transaction():
        done = await conn.execute("UPDATE structures SET news_html = $2, updated_at = now() WHERE id = $1",
                                  structure_id, news_html)
        if done == "UPDATE 0":
            raise web.HTTPNotFound(text="Structure introuvable.")
        await events.structure_changed(conn, structure_id)
    return web.Response(status=204)


# -- sign-in and sessions ----------------------------------------------------------------------
class LoginIn(BaseModel):
    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200)
    client_address: str | None = Field(default=None, max_length=100)


async def login(request: web.Request) -> web.Response:
    require_role(request, "anonymous")
    body = await read_model(request, LoginIn)
    result = await sessions.login(_pool(request), request.app[HASHER], body.login, body.password, body.client_address)
    if isinstance(result, sessions.LoginOk):
        return json_response({"session_token": result.session_token}, status=201)
    if result.retry_at is not None:
        return problem(429, "Trop de tentatives", result.message, retry_at=result.retry_at.isoformat())
    return problem(401, "Connexion refusée", result.message)


class TokenIn(BaseModel):
    token: str = Field(min_length=10, max_length=200)


async def resolve_session(request: web.Request) -> web.Response:
    require_role(request, "anonymous")
    body = await read_model(request, TokenIn)
    session = await sessions.resolve(_pool(request), _session_policy(request), body.token)
    if session is None:
        return problem(401, "Session expirée", "Votre session a expiré. Veuillez vous reconnecter.")
    return json_response(session)


async def logout(request: web.Request) -> web.Response:
    _account_id, session_id = _session_of(request)
    await sessions.logout(_pool(request), session_id)
    return web.Response(status=204)


class StructureChoiceIn(BaseModel):
    structure_id: uuid.UUID


async def choose_structure(request: web.Request) -> web.Response:
    account_id, session_id = _session_of(request)
    body = await read_model(request, StructureChoiceIn)
    async with _pool(request).acquire() as conn:
        allowed = {s["id"] for s in await sessions.account_structures(conn, account_id)}
        if body.structure_id not in allowed:
            raise web.HTTPForbidden(text="Vous n'avez pas accès à cette structure.")
        await conn.execute("UPDATE sessions SET structure_id = $2 WHERE id = $1", session_id, body.structure_id)
    return web.Response(status=204)


# -- passwords -----------------------------------------------------------------------------------
class NewPasswordIn(BaseModel):
    password: str = Field(max_length=200)
    confirmation: str = Field(max_length=200)


class ChangePasswordIn(NewPasswordIn):
    current: str = Field(max_length=200)


async def set_required_password(request: web.Request) -> web.Response:
    account_id, session_id = _session_of(request)
    body = await read_model(request, NewPasswordIn)
    try:
        await credentials.set_required_password(_pool(request), request.app[HASHER], account_id, session_id,
                                                body.password, body.confirmation)
    except credentials.CredentialError as exc:
        return _refusal(exc)
    return web.Response(status=204)


async def change_password(request: web.Request) -> web.Response:
    account_id, session_id = _session_of(request)
    body = await read_model(request, ChangePasswordIn)
    try:
        await credentials.change_password(_pool(request), request.app[HASHER], account_id, session_id,
                                          body.current, body.password, body.confirmation)
    except credentials.CredentialError as exc:
        return _refusal(exc)
    return web.Response(status=204)


class ResetRequestIn(BaseModel):
    login: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=1, max_length=320)


async def request_reset(request: web.Request) -> web.Response:
    require_role(request, "anonymous")
    body = await read_model(request, ResetRequestIn)
    s = _settings(request)
    await credentials.request_reset(_pool(request), body.login, body.email, s.public_url,
                                    s.reset_request_floor_ms / 1000)
    return web.Response(status=202)


async def check_reset_link(request: web.Request) -> web.Response:
    require_role(request, "anonymous")
    body = await read_model(request, TokenIn)
    return json_response({"valid": await credentials.reset_link_is_valid(_pool(request), body.token)})


class ResetIn(NewPasswordIn):
    token: str = Field(min_length=10, max_length=200)


async def reset_password(request: web.Request) -> web.Response:
    require_role(request, "anonymous")
    body = await read_model(request, ResetIn)
    try:
        await credentials.reset_password(_pool(request), request.app[HASHER], body.token, body.password,
                                         body.confirmation)
    except credentials.CredentialError as exc:
        return _refusal(exc)
    return web.Response(status=204)


# -- RGPD / CGU ---------------------------------------------------------------------------------
async def current_legal(request: web.Request) -> web.Response:
    require_role(request, "anonymous", *SIGNED_IN)
    rows = await _pool(request).fetch(
        """SELECT DISTINCT ON (kind) kind, version, title, body_html, published_at FROM legal_documents
           ORDER BY kind, version DESC""")
    return json_response({"documents": [
        {"kind": r["kind"], "version": r["version"], "title": r["title"], "body_html": clean_html(r["body_html"]),
         "published_at": r["published_at"].isoformat()} for r in rows]})


class LegalIn(BaseModel):
    title: str = Field(min_length=3, max_length=200)
    body_html: str = Field(min_length=10, max_length=100_000)


async def publish_legal(request: web.Request) -> web.Response:
    require_role(request, "admin")
    kind = request.match_info["kind"]
    if kind not in ("rgpd", "cgu"):
        raise web.HTTPNotFound(text="Document inconnu.")
    body = await read_model(request, LegalIn)
    async with _pool(request).acquire() as conn, conn.transaction():
        await conn.execute("LOCK TABLE legal_documents IN SHARE ROW EXCLUSIVE MODE")
        version = await conn.fetchval(
            """INSERT INTO legal_documents (kind, version, title, body_html)
               SELECT $1, coalesce(max(version), 0) + 1, $2, $3 FROM legal_documents WHERE kind = $1
               RETURNING version""", kind, body.title, clean_html(body.body_html))  # shown on the consent page
    return json_response({"kind": kind, "version": version}, status=201)


class ConsentIn(BaseModel):
    accepted: list[Literal["rgpd", "cgu"]] = Field(max_length=2)


async def accept_consents(request: web.Request) -> web.Response:
    account_id, _session_id = _session_of(request)
    body = await read_model(request, ConsentIn)
    async with _pool(request).acquire() as conn, conn.transaction():
        pending = await sessions.pending_consents(conn, account_id)
        missing = [p["title"] for p in pending if p["kind"] not in body.accepted]
        if missing:
            return problem(422, "Consentement requis",
                           "Vous devez cocher les cases indiquant que vous avez pris connaissance de : "
                           + " ; ".join(missing) + ".")
        await conn.executemany(
            "INSERT INTO consents (account_id, kind, version) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(account_id, p["kind"], p["version"]) for p in pending])
    return web.Response(status=204)


# -- profile ---------------------------------------------------------------------------------------
class EmailsIn(BaseModel):
    emails: str = Field(max_length=2000, description="several addresses separated by ';'")
    password: str = Field(max_length=200, description="the account's current password")


async def update_emails(request: web.Request) -> web.Response:
    """Where reset links and tickets go: changed only with the current password, and the previous first
    address is told (a stolen session cannot quietly divert the account's mail)."""
    account_id, _session_id = _session_of(request)
    body = await read_model(request, EmailsIn)
    addresses, errors = [], []
    for address in policy.split_emails(body.emails):
        try:
            addresses.append(validate_email(address, check_deliverability=False).normalized)
        except EmailNotValidError:
            errors.append(f"Adresse courriel invalide : « {address} »")
    if len(addresses) > 5:
        errors.append("Vous pouvez saisir au plus 5 adresses courriel.")
    if not body.password:
        errors.append("Saisissez votre mot de passe actuel pour modifier vos adresses courriel.")
    if errors:
        return problem(422, "Adresses refusées", " ".join(errors), messages=errors)
    try:
        await credentials.check_current_password(_pool(request), request.app[HASHER], account_id, body.password)
    except credentials.CredentialError as exc:
        return _refusal(exc)
    async with _pool(request).acquire() as conn, conn.transaction():
        before = await conn.fetchrow("SELECT login, emails, family_id FROM accounts WHERE id = $1 FOR UPDATE",
                                     account_id)
        if before is None:
            raise web.HTTPNotFound(text="Compte introuvable.")
        await conn.execute("UPDATE accounts SET emails = $2 WHERE id = $1", account_id, addresses)
        previous = list(before["emails"])
        if previous and [e.lower() for e in previous] != [e.lower() for e in addresses]:
            await events.emails_changed_notice(conn, previous[0], before["login"], before["family_id"])
        if before["family_id"] is not None:
            await events.family_contacts(conn, before["family_id"])
    return json_response({"emails": addresses})


# -- families (staff) ------------------------------------------------------------------------------
def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise web.HTTPNotFound(text="Ressource introuvable.") from None


class GuardianIn(BaseModel):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)


class ResponsableIn(GuardianIn):
    civilite: Literal["M.", "Mme"] | None = None


class ChildIn(GuardianIn):
    birth_date: date
    structure_id: uuid.UUID | None = None


class FamilyIn(BaseModel):
    identifiant: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    responsable: ResponsableIn
    autre_responsable: GuardianIn | None = None
    emails: list[str] = Field(default_factory=list, max_length=5)
    structure_id: uuid.UUID
    initial_password: str | None = Field(default=None, max_length=30)
    children: list[ChildIn] = Field(default_factory=list, max_length=20)


async def create_family(request: web.Request) -> web.Response:
    who = require_role(request, "staff", "admin")
    body = await read_model(request, FamilyIn)
    for structure_id in {body.structure_id, *(c.structure_id for c in body.children if c.structure_id)}:
        if not who.may_manage_structure(structure_id):
            raise web.HTTPForbidden(text="Vous ne gérez pas cette structure.")
    emails, errors = [], []
    for address in body.emails:
        try:
            emails.append(validate_email(address, check_deliverability=False).normalized)
        except EmailNotValidError:
            errors.append(f"Adresse courriel invalide : « {address} »")
    if body.initial_password is not None:
        from services.auth.passwords import check_rules

        errors += [f"Mot de passe initial : règle non respectée « {r.label} »"
                   for r in check_rules(body.initial_password) if not r.met]
    if errors:
        return problem(422, "Famille refusée", " ".join(errors), messages=errors)
    guardians = [ImportedGuardian(body.responsable.first_name.strip(), body.responsable.last_name.strip(), 1,
                                  body.responsable.civilite)]
    if body.autre_responsable:
        guardians.append(ImportedGuardian(body.autre_responsable.first_name.strip(),
                                          body.autre_responsable.last_name.strip(), 2))
    family = ImportedFamily(
        identifiant=body.identifiant, guardians=tuple(guardians), emails=tuple(emails),
        structure_id=body.structure_id, initial_password=body.initial_password,
        children=tuple(ImportedChild(c.first_name.strip(), c.last_name.strip(), c.birth_date,
                                     c.structure_id or body.structure_id) for c in body.children),
        lines=())
    try:
        async with _pool(request).acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT 1 FROM structures WHERE id = $1", body.structure_id):
                raise web.HTTPUnprocessableEntity(text="Structure inconnue.")
            outcome = await families.upsert_family(conn, request.app[HASHER], family, who.may_manage_structure)
    except asyncpg.UniqueViolationError:  # created at the same moment by someone else
        return problem(409, "Conflit", _sentence(families.taken(body.identifiant)))
    except ValueError as exc:
        return problem(409, "Conflit", _sentence(str(exc)))
    if not outcome.created:  # a family of the caller's own structure: what was new is added, no id told
        return problem(409, "Conflit", f"La famille « {body.identifiant} » existe déjà.",
                       children_added=outcome.children_added)
    return json_response({"family_id": str(outcome.family_id), "identifiant": outcome.identifiant,
                          "initial_password": outcome.initial_password}, status=201)


MAX_IMPORT_BYTES = 5 * 1024 * 1024


async def import_families(request: web.Request) -> web.Response:
    who = require_role(request, "staff", "admin")
    data = await request.read()
    if not data:
        return problem(400, "Fichier vide", "Le fichier d'import est vide.")
    if len(data) > MAX_IMPORT_BYTES:
        return problem(413, "Fichier trop volumineux", "Le fichier d'import dépasse 5 Mo.")
    rows = await _pool(request).fetch("SELECT id, name FROM structures")
    structures = {r["name"]: r["id"] for r in rows if who.may_manage_structure(r["id"])}
    try:
        parsed = parse_family_csv(data, structures, today=paris_today())
    except ImportFileError as exc:
        return problem(422, "Fichier refusé", str(exc))
    report = await families.import_families(_pool(request), request.app[HASHER], parsed, who.may_manage_structure)
    return json_response({
        "created": [{"identifiant": o.identifiant, "family_id": str(o.family_id), "enfants": o.children_added,
                     "initial_password": o.initial_password} for o in report.created],
        "updated": [{"identifiant": o.identifiant, "family_id": str(o.family_id), "enfants_ajoutes": o.children_added}
                    for o in report.updated],
        "unchanged": report.unchanged,
        "rejected": report.rejected,
    })


async def get_family(request: web.Request) -> web.Response:
    who = require_role(request, *SIGNED_IN)
    family_id = _uuid(request.match_info["family_id"])
    async with _pool(request).acquire() as conn:
        family = await conn.fetchrow("SELECT id, identifiant, structure_id FROM families WHERE id = $1", family_id)
        children = await conn.fetch(
            "SELECT id, first_name, last_name, birth_date, structure_id FROM children WHERE family_id = $1 "
            "ORDER BY birth_date", family_id)
        guardians = await conn.fetch(
            "SELECT id, rank, first_name, last_name FROM guardians WHERE family_id = $1 ORDER BY rank", family_id)
    # Another family's data does not exist for a parent; staff see only their structures' families.
    visible = family is not None and (
        who.may_see_family(family_id)
        or (who.role == "staff" and any(who.may_manage_structure(s)
                                        for s in {family["structure_id"], *(c["structure_id"] for c in children)})))
    if not visible:
        raise web.HTTPNotFound(text="Famille introuvable.")
    return json_response({
        "id": str(family["id"]), "identifiant": family["identifiant"], "structure_id": str(family["structure_id"]),
        "guardians": [{"id": str(g["id"]), "rank": g["rank"], "first_name": g["first_name"],
                       "last_name": g["last_name"]} for g in guardians],
        "children": [{"id": str(c["id"]), "first_name": c["first_name"], "last_name": c["last_name"],
                      "birth_date": c["birth_date"].isoformat(), "structure_id": str(c["structure_id"])}
                     for c in children],
    })


async def require_security_update(request: web.Request) -> web.Response:
    """Staff flag an account: at its next sign-in the parent must choose a new password."""
    who = require_role(request, "staff", "admin")
    family_id = _uuid(request.match_info["family_id"])
    async with _pool(request).acquire() as conn, conn.transaction():
        structures = await conn.fetch(
            "SELECT structure_id FROM families WHERE id = $1 UNION SELECT structure_id FROM children "
            "WHERE family_id = $1", family_id)
        if not structures or not any(who.may_manage_structure(r["structure_id"]) for r in structures):
            raise web.HTTPNotFound(text="Famille introuvable.")
        await conn.execute("UPDATE accounts SET must_change_password = true WHERE family_id = $1", family_id)
    return web.Response(status=204)


class StaffIn(BaseModel):
    login: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: str = Field(min_length=2, max_length=120)
    email: str = Field(max_length=320)
    role: Literal["staff", "admin"] = "staff"
    structure_ids: list[uuid.UUID] = Field(default_factory=list)


async def create_staff(request: web.Request) -> web.Response:
    require_role(request, "admin")
    body = await read_model(request, StaffIn)
    try:
        email = validate_email(body.email, check_deliverability=False).normalized
    except EmailNotValidError:
        return problem(422, "Données invalides", f"Adresse courriel invalide : « {body.email} »")
    from services.auth.passwords import generate_initial_password

    password = generate_initial_password()
    password_hash = await asyncio.to_thread(request.app[HASHER].hash, password)
    account_id = uuid.uuid4()
    async with _pool(request).acquire() as conn, conn.transaction():
        if await conn.fetchval("SELECT 1 FROM accounts WHERE lower(login) = lower($1)", body.login):
            return problem(409, "Conflit", f"L'identifiant « {body.login} » est déjà utilisé.")
        known = {r["id"] for r in await conn.fetch("SELECT id FROM structures WHERE id = ANY($1)", body.structure_ids)}
        if known != set(body.structure_ids):
            return problem(422, "Données invalides", "Structure inconnue.")
        await conn.execute(
            """INSERT INTO accounts (id, login, role, display_name, password_hash, must_change_password, emails)
               VALUES ($1, $2, $3, $4, $5, true, $6)""",
            account_id, body.login, body.role, body.display_name, password_hash, [email])
        await conn.executemany("INSERT INTO staff_structures (account_id, structure_id) VALUES ($1, $2)",
                               [(account_id, s) for s in body.structure_ids])
        await events.account_created(conn, account_id, body.role, None, body.structure_ids)
    return json_response({"account_id": str(account_id), "initial_password": password}, status=201)


def routes(app: web.Application) -> None:
    app[HASHER] = PasswordHasher()
    r = app.router
    r.add_get("/v1/structures", list_structures)
    r.add_post("/v1/structures", create_structure)
    r.add_put("/v1/structures/{structure_id}/news", update_news)
    r.add_post("/v1/login", login)
    r.add_post("/v1/sessions/resolve", resolve_session)
    r.add_post("/v1/logout", logout)
    r.add_post("/v1/sessions/structure", choose_structure)
    r.add_post("/v1/password/required", set_required_password)
    r.add_post("/v1/password/change", change_password)
    r.add_post("/v1/password/reset-requests", request_reset)
    r.add_post("/v1/password/reset-links/check", check_reset_link)
    r.add_post("/v1/password/reset", reset_password)
    r.add_get("/v1/legal", current_legal)
    r.add_post("/v1/legal/{kind}", publish_legal)
    r.add_post("/v1/consents", accept_consents)
    r.add_put("/v1/profile/emails", update_emails)
    r.add_post("/v1/families", create_family)
    r.add_post("/v1/families/import", import_families)
    r.add_get("/v1/families/{family_id}", get_family)
    r.add_post("/v1/families/{family_id}/security-update", require_security_update)
    r.add_post("/v1/staff", create_staff)
