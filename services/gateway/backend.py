"""The gateway's client for the services: forwards the correlation id, the trace context and a
short-lived signed identity; turns an unreachable service into a clear French error."""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

from kit import identity as ident
from kit.context import CORRELATION_HEADER, current_correlation_id
from kit.logging import get_logger

log = get_logger(__name__)


class ServiceUnavailable(Exception):
    def __init__(self, service: str):
        self.service = service
        super().__init__(f"le service {service} ne répond pas")


class ServiceError(Exception):
    def __init__(self, service: str, status: int, body: Any):
        self.service, self.status, self.body = service, status, body
        super().__init__(f"{service} answered {status}")


class Backend:
    def __init__(self, session: aiohttp.ClientSession, urls: dict[str, str], secret: str):
        self.session, self.urls, self.secret = session, urls, secret

    def _headers(self, who: ident.Identity) -> dict[str, str]:
        headers = {ident.HEADER: ident.issue(who, self.secret)}
        cid = current_correlation_id()
        if cid:
            headers[CORRELATION_HEADER] = cid
        return headers

    async def request(self, service: str, method: str, path: str, who: ident.Identity,
                      json: Any = None, data: bytes | None = None, content_type: str | None = None,
                      extra_headers: dict[str, str] | None = None) -> tuple[int, Any]:
        url = self.urls[service].rstrip("/") + path
        headers = {**self._headers(who), **(extra_headers or {})}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            async with self.session.request(method, url, json=json, data=data, headers=headers) as resp:
                raw = await resp.read()
                try:
                    body = jsonlib.loads(raw) if raw else None
                except ValueError:
                    body = {"detail": raw.decode(errors="replace")[:500]}
                return resp.status, body
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("service unreachable", target=service, path=path, error=repr(exc))
            raise ServiceUnavailable(service) from exc

    @asynccontextmanager
    async def download(self, service: str, path: str, who: ident.Identity) -> AsyncIterator[aiohttp.ClientResponse]:
        """A service's file response, not read yet: relay it with `relay()` (the gateway never holds a
        whole file), or read its small problem body when the status is not 200."""
        url = self.urls[service].rstrip("/") + path
        try:
            async with self.session.get(url, headers=self._headers(who)) as resp:
                yield resp
        except (TimeoutError, aiohttp.ClientConnectionError) as exc:
            log.warning("service unreachable", target=service, error=repr(exc))
            raise ServiceUnavailable(service) from exc

    async def get_json(self, service: str, path: str, who: ident.Identity) -> Any:
        status, body = await self.request(service, "GET", path, who)
        if status >= 400:
            raise ServiceError(service, status, body)
        return body


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
