"""The one way the gateway calls a service: a signed identity token, the correlation id and the trace context
on every call; JSON in and out; file answers streamed; and one error model for every refusal:

- `Refused`: a 4xx with the service's French detail (and its messages, field by field);
- `NotFound` (404) and `Forbidden` (403);
- `Unavailable`: the service cannot be reached or answers 503; `Failed` (a subclass): any other 5xx.

The per-service clients (`clients/auth.py`, …) are built on `ServiceClient` and name what they do."""

from __future__ import annotations

import json as jsonlib
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web

from contracts import errors
from kit import identity as ident
from kit.context import CORRELATION_HEADER, current_correlation_id
from kit.logging import get_logger
from kit.telemetry import inject_context

log = get_logger(__name__)

DEFAULT_DETAIL = "Votre demande n'a pas pu aboutir."
ANONYMOUS_ID = ident.Identity.anonymous()


def messages_in(body: Any, labels: Mapping[str, str] | None = None, fields: bool = True) -> list[str]:
    """A service's refusal as French sentences: its messages, or its detail and (with `fields`) its field
    errors, the field named with `labels` when one of its parts is known there."""
    if not isinstance(body, dict):
        return [DEFAULT_DETAIL]
    if body.get("messages"):
        return [str(m) for m in body["messages"]]
    out = [str(body.get("detail") or body.get("title") or DEFAULT_DETAIL)]
    for error in (body.get("errors") or []) if fields else []:
        if not isinstance(error, dict):
            continue
        parts = str(error.get("champ", "")).split(".")
        name = next((labels[p] for p in reversed(parts) if labels and p in labels), None)
        message = str(error.get("message", "")).removeprefix("Value error, ")
        out.append(f"{name} : {message}" if name else message)
    return out


class ClientError(Exception):
    """What a service answered instead of success: its name, status and (JSON) body."""

    service: str
    status: int
    body: Any

    def _keep(self, service: str, status: int, body: Any) -> None:
        self.service, self.status, self.body = service, status, body

    @property
    def detail_given(self) -> str | None:
        """The service's own French explanation, when it gave one."""
        if isinstance(self.body, dict) and isinstance(self.body.get("detail"), str) and self.body["detail"]:
            return self.body["detail"]
        return None

    def messages(self, labels: Mapping[str, str] | None = None, fields: bool = True) -> list[str]:
        return messages_in(self.body, labels, fields)


class Refused(ClientError, errors.DomainError):
    """A 4xx answer (other than 403/404): the service refused, in French."""

    def __init__(self, service: str, status: int, body: Any):
        self._keep(service, status, body)
        self.status = status
        errors.DomainError.__init__(self, messages_in(body)[0])


class NotFound(ClientError, errors.NotFound):
    def __init__(self, service: str, body: Any = None):
        self._keep(service, 404, body)
        errors.NotFound.__init__(self, self.detail_given or "Introuvable.")


class Forbidden(ClientError, errors.Forbidden):
    def __init__(self, service: str, body: Any = None):
        self._keep(service, 403, body)
        errors.Forbidden.__init__(self, self.detail_given or "Accès refusé.")


class Unavailable(ClientError, errors.Unavailable):
    """The service did not answer (or said it is too busy: 503, with its French detail)."""

    def __init__(self, service: str, status: int = 503, body: Any = None, *, answered: bool = True):
        self._keep(service, status, body)
        self.answered = answered  # False: the service could not be reached at all
        errors.Unavailable.__init__(self, self.detail_given or f"le service {service} ne répond pas")


class Failed(Unavailable):
    """A 5xx other than 503: the service failed on this request."""

    title = "Erreur"


def decoded(raw: bytes) -> Any:
    """A service's answer as data: its JSON, or its text as a `detail` (an answer that is not JSON)."""
    try:
        return jsonlib.loads(raw) if raw else None
    except ValueError:
        return {"detail": raw.decode(errors="replace")[:500]}


def error_for(service: str, status: int, body: Any) -> ClientError:
    if status == 404:
        return NotFound(service, body)
    if status == 403:
        return Forbidden(service, body)
    if status == 503:
        return Unavailable(service, 503, body)
    if status >= 500:
        return Failed(service, status, body)
    return Refused(service, status, body)


def path(template: str, *ids: object, **query: object) -> str:
    """A service path: each id quoted into the template's `{}`, the query's non-empty values appended."""
    text = template.format(*(quote(str(i), safe="") for i in ids))
    kept = {k: v for k, v in query.items() if v is not None and v != ""}
    return text + ("?" + urlencode(kept) if kept else "")


# The identity tokens issued lately: one identity's token is reused for REUSE_SECONDS (it stays valid a minute,
# kit.identity), so that the services verify each token once (kit.identity keeps the tokens it verified).
REUSE_SECONDS = 20
_ISSUED: dict[tuple[ident.Identity, str], tuple[str, float]] = {}


def signed(who: ident.Identity, secret: str) -> str:
    now = time.time()  # the clock the token's expiry is checked on (a test may move it)
    known = _ISSUED.get((who, secret))
    if known is not None and 0 <= now - known[1] < REUSE_SECONDS:
        return known[0]
    if len(_ISSUED) >= 4096:  # bounded: forget them all (they are reissued at once, cheaply)
        _ISSUED.clear()
    token = ident.issue(who, secret)
    _ISSUED[(who, secret)] = (token, int(now))  # as the token's iat
    return token


class ServiceClient:
    """One service, called as `who` (the identity signed for it, valid a minute)."""

    name: str = ""

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str, name: str | None = None):
        self.session, self.url, self.secret = session, url.rstrip("/"), secret
        if name:
            self.name = name

    def headers(self, who: ident.Identity) -> dict[str, str]:
        headers = {ident.HEADER: signed(who, self.secret), **inject_context()}
        cid = current_correlation_id()
        if cid:
            headers[CORRELATION_HEADER] = cid
        return headers

    async def exchange(self, method: str, target: str, who: ident.Identity, *, json: Any = None,
                       data: bytes | None = None, content_type: str | None = None,
                       extra_headers: Mapping[str, str] | None = None) -> tuple[int, str, bytes]:
        """(status, content type, body as sent) whatever the status: every call goes through here."""
        headers = {**self.headers(who), **(extra_headers or {})}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            async with self.session.request(method, self.url + target, json=json, data=data,
                                            headers=headers) as resp:
                return resp.status, resp.content_type, await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("service unreachable", target=self.name, path=target.split("?")[0], error=repr(exc))
            raise Unavailable(self.name, answered=False) from exc

    async def raw(self, method: str, target: str, who: ident.Identity, **kwargs) -> tuple[int, Any]:
        """(status, decoded body) whatever the status (see `exchange`)."""
        status, _type, raw = await self.exchange(method, target, who, **kwargs)
        return status, decoded(raw)

    async def call(self, method: str, target: str, who: ident.Identity, **kwargs) -> Any:
        """The body of a success (2xx); anything else raised as the error model."""
        status, body = await self.raw(method, target, who, **kwargs)
        if status >= 400:
            raise error_for(self.name, status, body)
        return body

    async def get(self, target: str, who: ident.Identity) -> Any:
        return await self.call("GET", target, who)

    async def post(self, target: str, who: ident.Identity, json: Any = None, **kwargs) -> Any:
        return await self.call("POST", target, who, json=json, **kwargs)

    @asynccontextmanager
    async def download(self, target: str, who: ident.Identity) -> AsyncIterator[aiohttp.ClientResponse]:
        """A file answer, not read yet: relay it with `relay()` (the gateway never holds a whole file), or
        read its small problem body when the status is not 200."""
        try:
            async with self.session.get(self.url + target, headers=self.headers(who)) as resp:
                yield resp
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            log.warning("service unreachable", target=self.name, error=repr(exc))
            raise Unavailable(self.name, answered=False) from exc

    async def ready(self) -> bool:
        """The service's /readyz says it is ready."""
        try:
            async with self.session.get(self.url + "/readyz") as resp:
                return resp.status == 200
        except Exception:  # noqa: BLE001 - unreachable means not ready
            return False


FILE_HEADERS = ("Content-Type", "Content-Disposition", "Content-Length")


async def relay(request: web.Request, resp: aiohttp.ClientResponse) -> web.StreamResponse:
    """A service's file (CSV, PDF, a document, the archive) sent on to the browser chunk by chunk as it
    arrives, with its type and name: memory stays bounded whatever the file's size."""
    kept = {k: v for k, v in resp.headers.items() if k in FILE_HEADERS}
    out = web.StreamResponse(headers={**kept, "Cache-Control": "no-store"})
    if "Content-Length" not in kept:
        out.enable_chunked_encoding()
    await out.prepare(request)
    async for chunk in resp.content.iter_chunked(64 * 1024):
        await out.write(chunk)
    await out.write_eof()
    return out


async def file_or_error(request: web.Request, client: ServiceClient, target: str,
                        who: ident.Identity) -> web.StreamResponse:
    """A file relayed as it arrives; a refusal raised as the error model (its small problem body read)."""
    async with client.download(target, who) as resp:
        if resp.status == 200:
            return await relay(request, resp)
        raw = await resp.read()
        try:
            body = jsonlib.loads(raw) if raw else None
        except ValueError:
            body = None
        raise error_for(client.name, resp.status, body)


class OperatedService(ServiceClient):
    """A service that owns facts or keeps projections: the operators' resync and consistency routes."""

    async def resync(self, who: ident.Identity, family_id: str | None) -> dict:
        """Republish the facts it owns (one family's, or all); what it republished, by kind."""
        return await self.post("/v1/ops/resync", who, {"family_id": family_id}) or {}

    async def facts_digest(self, who: ident.Identity, check_id: str) -> None:
        await self.post("/v1/ops/facts-digest", who, {"check_id": check_id})

    async def consistency(self, who: ident.Identity) -> list[dict]:
        """Its latest verdicts on the projections it keeps."""
        body = await self.get("/v1/ops/consistency", who)
        if not isinstance(body, dict):
            raise Failed(self.name, 502, body)
        return body.get("verdicts") or []
