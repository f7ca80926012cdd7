"""auth's routes for a person's own account: sign-in and sessions, the password rules, password changes
and resets, consents to the legal texts, the profile's addresses."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from kit.http import identity_of, json_response, problem, read_model
from services.auth import access
from services.auth.domain.passwords import PASSWORD_RULES
from services.auth.domain.policy import SessionPolicy
from services.auth.events import PRODUCER
from services.auth.http import HASHER, settings_of, store_of
from services.auth.service import accounts, credentials, sign_in


def _session_policy(request: web.Request) -> SessionPolicy:
    s = settings_of(request)
    return SessionPolicy(timedelta(minutes=s.session_idle_minutes), timedelta(hours=s.session_max_hours))


# -- sign-in and sessions ----------------------------------------------------------------------
class LoginIn(BaseModel):
    login: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200)
    client_address: str | None = Field(default=None, max_length=100)


async def login(request: web.Request) -> web.Response:
    access.anonymous(identity_of(request))
    body = await read_model(request, LoginIn)
    result = await sign_in.login(store_of(request), request.app[HASHER], body.login, body.password,
                                 body.client_address)
    if isinstance(result, sign_in.LoginOk):
        return json_response({"session_token": result.session_token}, status=201)
    if result.retry_at is not None:
        return problem(429, "Trop de tentatives", result.message, retry_at=result.retry_at.isoformat())
    return problem(401, "Connexion refusée", result.message)


class TokenIn(BaseModel):
    token: str = Field(min_length=10, max_length=200)


async def resolve_session(request: web.Request) -> web.Response:
    access.anonymous(identity_of(request))
    body = await read_model(request, TokenIn)
    session = await sign_in.resolve(store_of(request), _session_policy(request), body.token)
    if session is None:
        return problem(401, "Session expirée", "Votre session a expiré. Veuillez vous reconnecter.")
    return json_response(session)


async def logout(request: web.Request) -> web.Response:
    _account_id, session_id = access.session_of(identity_of(request))
    await sign_in.logout(store_of(request), session_id)
    return web.Response(status=204)


class StructureChoiceIn(BaseModel):
    structure_id: uuid.UUID


async def choose_structure(request: web.Request) -> web.Response:
    account_id, session_id = access.session_of(identity_of(request))
    body = await read_model(request, StructureChoiceIn)
    await sign_in.choose_structure(store_of(request), account_id, session_id, body.structure_id)
    return web.Response(status=204)


# -- passwords -----------------------------------------------------------------------------------
async def password_rules(request: web.Request) -> web.Response:
    """The rules a new password must meet, as data: the pages show them and tick them while typing."""
    access.anyone(identity_of(request))
    return json_response({"rules": [{k: v for k, v in dataclasses.asdict(rule).items() if v is not None}
                                    for rule in PASSWORD_RULES]})


class NewPasswordIn(BaseModel):
    password: str = Field(max_length=200)
    confirmation: str = Field(max_length=200)


class ChangePasswordIn(NewPasswordIn):
    current: str = Field(max_length=200)


async def set_required_password(request: web.Request) -> web.Response:
    account_id, session_id = access.session_of(identity_of(request))
    body = await read_model(request, NewPasswordIn)
    await credentials.set_required_password(store_of(request), request.app[HASHER], account_id, session_id,
                                            body.password, body.confirmation)
    return web.Response(status=204)


async def change_password(request: web.Request) -> web.Response:
    account_id, session_id = access.session_of(identity_of(request))
    body = await read_model(request, ChangePasswordIn)
    await credentials.change_password(store_of(request), request.app[HASHER], account_id, session_id,
                                      body.current, body.password, body.confirmation)
    return web.Response(status=204)


class ResetRequestIn(BaseModel):
    login: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=1, max_length=320)


async def request_reset(request: web.Request) -> web.Response:
    access.anonymous(identity_of(request))
    body = await read_model(request, ResetRequestIn)
    s = settings_of(request)
    await credentials.request_reset(store_of(request), PRODUCER, body.login, body.email, s.public_url,
                                    s.reset_request_floor_ms / 1000)
    return web.Response(status=202)


async def check_reset_link(request: web.Request) -> web.Response:
    access.anonymous(identity_of(request))
    body = await read_model(request, TokenIn)
    return json_response({"valid": await credentials.reset_link_is_valid(store_of(request), body.token)})


class ResetIn(NewPasswordIn):
    token: str = Field(min_length=10, max_length=200)


async def reset_password(request: web.Request) -> web.Response:
    access.anonymous(identity_of(request))
    body = await read_model(request, ResetIn)
    await credentials.reset_password(store_of(request), request.app[HASHER], body.token, body.password,
                                     body.confirmation)
    return web.Response(status=204)


# -- consents and profile ------------------------------------------------------------------------
class ConsentIn(BaseModel):
    accepted: list[Literal["rgpd", "cgu"]] = Field(max_length=2)


async def accept_consents(request: web.Request) -> web.Response:
    account_id, _session_id = access.session_of(identity_of(request))
    body = await read_model(request, ConsentIn)
    await accounts.accept_consents(store_of(request), account_id, list(body.accepted))
    return web.Response(status=204)


class EmailsIn(BaseModel):
    emails: str = Field(max_length=2000, description="several addresses separated by ';'")
    password: str = Field(max_length=200, description="the account's current password")


async def update_emails(request: web.Request) -> web.Response:
    account_id, _session_id = access.session_of(identity_of(request))
    body = await read_model(request, EmailsIn)
    addresses = await accounts.update_emails(store_of(request), PRODUCER, request.app[HASHER], account_id,
                                             body.emails, body.password)
    return json_response({"emails": addresses})


ROUTES = (
    ("POST", "/v1/login", login),
    ("POST", "/v1/sessions/resolve", resolve_session),
    ("POST", "/v1/logout", logout),
    ("POST", "/v1/sessions/structure", choose_structure),
    ("GET", "/v1/password/rules", password_rules),
    ("POST", "/v1/password/required", set_required_password),
    ("POST", "/v1/password/change", change_password),
    ("POST", "/v1/password/reset-requests", request_reset),
    ("POST", "/v1/password/reset-links/check", check_reset_link),
    ("POST", "/v1/password/reset", reset_password),
    ("POST", "/v1/consents", accept_consents),
    ("PUT", "/v1/profile/emails", update_emails),
)
