"""The gateway: the only public entry point. Pages, static assets, /api/v1, and the proxy to the
services with a signed identity on every call."""

from __future__ import annotations

import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from kit.http import correlation_middleware, json_response, problem
from kit.logging import configure_logging, get_logger
from kit.metrics import exposition, http_middleware
from kit.settings import DEFAULT_PORTS, SettingsError, load_settings
from kit.telemetry import setup_tracing
from services.gateway import (
    api_v1,
    pages_account,
    pages_billing,
    pages_booking,
    pages_dossier,
    pages_staff,
    views,
)
from services.gateway.backend import Backend, ServiceError, ServiceUnavailable
from services.gateway.render import error_page
from services.gateway.session import BACKEND, SETTINGS, CsrfRefused, session_middleware
from services.gateway.settings import SERVICES, GatewaySettings

log = get_logger(__name__)

_PAGE_ERRORS = {
    401: ("Authentification requise", "Connectez-vous pour accéder à cette page."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    404: ("Page introuvable", "La page demandée n'existe pas."),
    405: ("Action impossible", "Cette action n'est pas possible sur cette page."),
    413: ("Envoi trop volumineux", "Le contenu envoyé est trop volumineux."),
}
_CSRF = ("Formulaire expiré", "Le formulaire a expiré ou ne provient pas du portail. Rechargez la page et recommencez.")


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Pages get a French HTML page, /api gets a JSON problem; never a traceback."""
    api = request.path.startswith("/api/")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        title, message = _CSRF if isinstance(exc, CsrfRefused) else _PAGE_ERRORS.get(
            exc.status, ("Requête invalide", exc.reason))
        if api and exc.text and not exc.text.startswith(f"{exc.status}:"):
            message = exc.text  # the API's own French explanation
        return problem(exc.status, title, message) if api else error_page(request, exc.status, title, message)
    except ServiceUnavailable:
        title, message = "Service momentanément indisponible", "Le portail ne peut pas répondre pour le moment. Réessayez dans quelques minutes."
        return problem(503, title, message) if api else error_page(request, 503, title, message)
    except ServiceError as exc:
        log.warning("service error", target=exc.service, status=exc.status)
        if api and 400 <= exc.status < 500 and isinstance(exc.body, dict):
            return json_response(exc.body, status=exc.status)
        title, message = "Erreur", "Votre demande n'a pas pu aboutir. Réessayez plus tard."
        return problem(502, title, message) if api else error_page(request, 502, title, message)
    except Exception:
        log.exception("unhandled error", method=request.method, path=request.path)
        title, message = "Erreur interne", "Une erreur inattendue est survenue. Réessayez plus tard."
        return problem(500, title, message) if api else error_page(request, 500, title, message)


@web.middleware
async def static_cache_middleware(request: web.Request, handler):
    """Assets may be kept a day by browsers and proxies; pages never (they carry personal data)."""
    response = await handler(request)
    if request.path.startswith("/static/") and response.status == 200:
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def build_app(settings: GatewaySettings) -> web.Application:
    app = web.Application(middlewares=[http_middleware("gateway"), correlation_middleware, errors_middleware,
                                       static_cache_middleware, session_middleware],
                          client_max_size=api_v1.MAX_BODY)
    app[SETTINGS] = settings
    stopping = {"value": False}

    async def healthz(_request):
        return json_response({"status": "ok", "service": "gateway"})

    async def readyz(_request):
        if stopping["value"]:
            return problem(503, "Service indisponible", "Le service s'arrête.")
        return json_response({"status": "ready", "service": "gateway"})

    async def backend_ctx(app_: web.Application):
        timeout = aiohttp.ClientTimeout(total=settings.service_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            app_[BACKEND] = Backend(session, {n: settings.service_url(n) for n in SERVICES},
                                          settings.identity_secret)
            yield

    async def on_shutdown(_app):
        stopping["value"] = True

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    async def metrics(request: web.Request) -> web.Response:
        # the gateway is public: its metrics need the scraper's token when one is configured
        if settings.metrics_token and request.headers.get("Authorization") != f"Bearer {settings.metrics_token}":
            return problem(401, "Authentification requise", "Jeton de collecte des métriques requis.")
        return exposition()

    app.router.add_get("/metrics", metrics)
    app.router.add_static("/static", Path(__file__).parent / "static")
    views.routes(app)
    pages_account.routes(app)
    for pages in (pages_booking, pages_billing, pages_dossier, pages_staff):
        pages.routes(app)
    api_v1.routes(app)
    app.cleanup_ctx.append(backend_ctx)
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
    web.run_app(build_app(settings), host=settings.http_host, port=settings.http_port or DEFAULT_PORTS["gateway"], print=None,
                shutdown_timeout=20, access_log=None)
