"""The gateway: the only public entry point. Pages, static assets, /api/v1, and the proxy to the
services with a signed identity on every call."""

from __future__ import annotations

import hmac
import sys
from http import HTTPStatus
from pathlib import Path

import aiohttp
from aiohttp import web

from kit.http import (
    HANDLER_ARGS,
    HeadersTooLarge,
    InputRefused,
    TargetTooLong,
    correlation_middleware,
    detail_of,
    guard_middleware,
    hide_server_banner,
    json_response,
    problem,
)
from kit.logging import configure_logging, get_logger
from kit.metrics import exposition, http_middleware, route_of
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
    400: ("Requête invalide", "La demande envoyée n'est pas valide."),
    401: ("Authentification requise", "Connectez-vous pour accéder à cette page."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    404: ("Page introuvable", "La page demandée n'existe pas."),
    405: ("Action impossible", "Cette action n'est pas possible sur cette page."),
    413: ("Envoi trop volumineux", "Le contenu envoyé est trop volumineux."),
    414: ("Adresse trop longue", "L'adresse demandée est trop longue."),
    415: ("Requête invalide", "Ce type de contenu n'est pas accepté."),
    422: ("Données invalides", "Certaines données envoyées ne sont pas valides."),
    431: ("En-têtes trop volumineux", "La requête porte des en-têtes trop volumineux."),
}
# Statuses whose page always says the same (whatever reason the handler gave).
_FIXED_MESSAGES = frozenset({401, 403, 404, 405, 413})
# What the guard refuses explains itself in French, on pages as in the API.
_SELF_EXPLAINED = (InputRefused, HeadersTooLarge, TargetTooLong)
_CSRF = ("Formulaire expiré", "Le formulaire a expiré ou ne provient pas du portail. Rechargez la page et recommencez.")


def _standard_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


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
            exc.status, ("Requête invalide", "Votre demande n'a pas pu aboutir."))
        if exc.status not in _FIXED_MESSAGES and exc.reason and exc.reason != _standard_reason(exc.status):
            message = exc.reason  # a page's own French reason (e.g. pages_billing.BadRequest)
        if (api or isinstance(exc, _SELF_EXPLAINED)) and detail_of(exc):
            message = detail_of(exc)  # the API's own French explanation
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
        log.exception("unhandled error", method=request.method, path=route_of(request))
        title, message = "Erreur interne", "Une erreur inattendue est survenue. Réessayez plus tard."
        return problem(500, title, message) if api else error_page(request, 500, title, message)


@web.middleware
async def static_cache_middleware(request: web.Request, handler):
    """Assets may be kept a day by browsers and proxies; pages never (they carry personal data)."""
    response = await handler(request)
    if request.path.startswith("/static/") and response.status == 200:
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# Every response of the gateway: no inline script or style may run, nothing may frame the portal,
# forms post only to it. (A real online payment provider's origin goes in form-action: a form's
# redirect to another origin is checked against it.)
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
    web.run_app(build_app(settings), host=settings.http_host, port=settings.http_port or DEFAULT_PORTS["gateway"],
                print=None, shutdown_timeout=20, access_log=None)
