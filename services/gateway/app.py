"""The gateway: the only public entry point. Its declaration: the middlewares, the security headers, the
health and metrics answers, the static assets, the pages (`pages/`) and /api/v1 (`api_v1.py`), and the
typed clients of the services (`clients/`) on one HTTP session."""

from __future__ import annotations

import hmac
import sys
from pathlib import Path

import aiohttp
from aiohttp import web
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

from kit import gc_tuning
from kit.http import (
    HANDLER_ARGS,
    correlation_middleware,
    guard_middleware,
    hide_server_banner,
    json_response,
    problem,
)
from kit.logging import configure_logging, get_logger
from kit.metrics import exposition, http_middleware
from kit.settings import DEFAULT_PORTS, SettingsError, load_settings
from kit.telemetry import setup_tracing
from services.gateway import api_v1, pages
from services.gateway.clients import CLIENTS, Clients
from services.gateway.settings import SERVICES, GatewaySettings
from services.gateway.web.errors import errors_middleware
from services.gateway.web.render import reload_templates
from services.gateway.web.session import SESSION_CACHE, SETTINGS, session_middleware
from services.gateway.web.session_cache import SessionCache

log = get_logger(__name__)


@web.middleware
async def static_cache_middleware(request: web.Request, handler):
    """Assets may be kept a day by browsers and proxies; pages never (they carry personal data)."""
    response = await handler(request)
    if request.path.startswith("/static/") and response.status == 200:
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# Every response of the gateway: no inline script or style may run, nothing may frame the portal,
# forms post only to it. (The payment backends' origins, PORTAIL_PAYMENT_ORIGINS, are added to form-action on
# the consumptions page only: its « Payer en ligne » form is redirected there.)
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# Uploaded documents are the families' files: always downloaded, never rendered by the browser.
DOCUMENT_PATHS = ("/dossier/pieces/", "/api/v1/dossier/documents/")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the security headers on pages, API answers, assets and errors alike."""
    response.headers.update(SECURITY_HEADERS)
    origins = request.app[SETTINGS].payment_origins.split()
    if origins and request.path == "/consommations":  # « Payer en ligne » is redirected to the bank's page
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(origins))
    if request.path.startswith(DOCUMENT_PATHS) and response.status == 200:
        disposition = response.headers.get("Content-Disposition", "")
        if not disposition.lower().startswith("attachment"):
            _kind, _sep, params = disposition.partition(";")
            response.headers["Content-Disposition"] = "attachment" + (f";{params}" if params else "")


def _proxied(request: web.Request) -> bool:
    """Came through the ingress / a reverse proxy (the public side), not straight to the pod."""
    return any(h in request.headers for h in ("X-Forwarded-For", "X-Real-IP", "Forwarded"))


def build_app(settings: GatewaySettings) -> web.Application:
    app = web.Application(middlewares=[http_middleware("gateway"), correlation_middleware, errors_middleware,
                                       guard_middleware(forms=True, multipart_skip=("/api/",)),
                                       static_cache_middleware, session_middleware],
                          client_max_size=api_v1.MAX_BODY, handler_args=HANDLER_ARGS)
    app.on_response_prepare.append(hide_server_banner)
    app.on_response_prepare.append(security_headers)
    app[SETTINGS] = settings
    reload_templates(settings.development)
    sessions = app[SESSION_CACHE] = SessionCache(settings.session_cache_seconds, settings.session_cache_size)
    stopping = {"value": False}

    async def healthz(_request):
        return json_response({"status": "ok", "service": "gateway"})

    async def readyz(_request):
        if stopping["value"]:
            return problem(503, "Service indisponible", "Le service s'arrête.")
        return json_response({"status": "ready", "service": "gateway"})

    async def clients_ctx(app_: web.Application):
        timeout = aiohttp.ClientTimeout(total=settings.service_timeout_seconds)
        connector = aiohttp.TCPConnector(limit=settings.service_connections)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            if settings.otel_exporter == "none":
                # spans sent nowhere: the client span of each service call costs the gateway about a fifth of a
                # forwarded call's CPU for nothing (the trace context still goes in the headers, clients/base.py)
                AioHttpClientInstrumentor.uninstrument_session(session)
            app_[CLIENTS] = Clients.build(session, {n: settings.service_url(n) for n in SERVICES},
                                          settings.identity_secret, on_auth_call=sessions.changed_by,
                                          children_seconds=settings.session_cache_seconds)
            yield

    async def on_shutdown(_app):
        stopping["value"] = True

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    async def metrics(request: web.Request) -> web.Response:
        """The gateway is public: never through the ingress (a proxied request), and only with the
        scraper's bearer token (none configured: nobody)."""
        if _proxied(request):
            raise web.HTTPNotFound()
        sent = request.headers.get("Authorization", "").encode()
        if not settings.metrics_token or not hmac.compare_digest(sent, f"Bearer {settings.metrics_token}".encode()):
            return problem(401, "Authentification requise", "Jeton de collecte des métriques requis.")
        return exposition()

    app.router.add_get("/metrics", metrics)
    app.router.add_static("/static", Path(__file__).parent / "static")
    pages.routes(app)
    api_v1.routes(app)
    app.cleanup_ctx.append(clients_ctx)
    app.on_shutdown.append(on_shutdown)
    return app


def main() -> None:
    try:
        settings = load_settings(GatewaySettings)
    except SettingsError:
        sys.exit(2)
    configure_logging("gateway", settings.log_level)
    setup_tracing("gateway", settings.otel_exporter, settings.otel_endpoint)
    log.info("gateway listening", url=settings.public_url)
    web.run_app(gc_tuning.tuned(build_app(settings)), host=settings.http_host, port=settings.http_port or DEFAULT_PORTS["gateway"],
                print=None, shutdown_timeout=20, access_log=None)
