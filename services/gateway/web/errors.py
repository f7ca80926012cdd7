"""One way a page reports a refusal: a `PageError` (status, French title and message), built from a
client's error or a form's; and the middleware that answers every error, a French page for pages and a
JSON problem under /api, never a traceback."""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web

from kit.http import HeadersTooLarge, InputRefused, TargetTooLong, detail_of, json_response, problem
from kit.logging import get_logger
from kit.metrics import route_of
from services.gateway.clients import ClientError, Failed, Forbidden, NotFound, Unavailable
from services.gateway.web.csrf import CsrfRefused
from services.gateway.web.forms import FormError
from services.gateway.web.render import error_page

log = get_logger(__name__)

PAGE_ERRORS = {
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
FIXED_MESSAGES = frozenset({401, 403, 404, 405, 413})
# What the guard refuses explains itself in French, on pages as in the API.
SELF_EXPLAINED = (InputRefused, HeadersTooLarge, TargetTooLong)
CSRF = ("Formulaire expiré", "Le formulaire a expiré ou ne provient pas du portail. Rechargez la page et recommencez.")
UNAVAILABLE = ("Service momentanément indisponible",
               "Le portail ne peut pas répondre pour le moment. Réessayez dans quelques minutes.")
FAILED = ("Erreur", "Votre demande n'a pas pu aboutir. Réessayez plus tard.")
BUSY = "Portail très sollicité"


class PageError(Exception):
    """A page's refusal, shown as the French error page."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message

    @classmethod
    def of(cls, exc: ClientError | FormError, *, not_found: str = "La page demandée n'existe pas.",
           forbidden: str = "Vous n'avez pas accès à cette page.", refused: str = "Demande invalide",
           failed: tuple[str, str] = FAILED) -> PageError:
        """The page error a client's (or a form's) error makes: the service's French detail when it gave one."""
        if isinstance(exc, FormError):
            return cls(exc.status, exc.title, exc.detail)
        detail = exc.detail_given
        if isinstance(exc, NotFound):
            return cls(404, "Introuvable", detail or not_found)
        if isinstance(exc, Forbidden):
            return cls(403, "Accès refusé", detail or forbidden)
        if isinstance(exc, Failed):
            return cls(502, *failed)
        if isinstance(exc, Unavailable):
            return cls(503, BUSY, detail) if detail else cls(503, *UNAVAILABLE)
        return cls(409 if exc.status == 409 else 400, refused, detail or "Votre demande n'a pas pu être traitée. "
                   "Vérifiez votre saisie.")


def _standard_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _http_error(request: web.Request, exc: web.HTTPException, api: bool) -> web.Response:
    title, message = CSRF if isinstance(exc, CsrfRefused) else PAGE_ERRORS.get(
        exc.status, ("Requête invalide", "Votre demande n'a pas pu aboutir."))
    if exc.status not in FIXED_MESSAGES and exc.reason and exc.reason != _standard_reason(exc.status):
        message = exc.reason  # a page's own French reason
    if (api or isinstance(exc, SELF_EXPLAINED)) and detail_of(exc):
        message = detail_of(exc)  # the API's own French explanation
    return problem(exc.status, title, message) if api else error_page(request, exc.status, title, message)


def _client_error(request: web.Request, exc: ClientError, api: bool) -> web.Response:
    """A service's answer no page handled: its refusal passed on (API), or the French page it makes."""
    if isinstance(exc, Failed) or (isinstance(exc, Unavailable) and not exc.detail_given):
        log.warning("service error", target=exc.service, status=exc.status)
        title, message = FAILED if isinstance(exc, Failed) else UNAVAILABLE
        status = 502 if isinstance(exc, Failed) else 503
        return problem(status, title, message) if api else error_page(request, status, title, message)
    if api and isinstance(exc.body, dict):
        return json_response(exc.body, status=exc.status)
    if isinstance(exc, NotFound | Forbidden):
        title, message = PAGE_ERRORS[exc.status]
        return problem(exc.status, title, message) if api else error_page(request, exc.status, title, message)
    page = PageError.of(exc, refused=PAGE_ERRORS.get(exc.status, ("Requête invalide",))[0])
    return problem(page.status, page.title, page.message) if api else error_page(request, page.status, page.title,
                                                                                 page.message)


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Pages get a French HTML page, /api gets a JSON problem; never a traceback."""
    api = request.path.startswith("/api/")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _http_error(request, exc, api)
    except PageError as exc:
        return problem(exc.status, exc.title, exc.message) if api else error_page(request, exc.status, exc.title,
                                                                                  exc.message)
    except FormError as exc:
        page = PageError.of(exc)
        return problem(page.status, page.title, page.message) if api else error_page(request, page.status,
                                                                                     page.title, page.message)
    except ClientError as exc:
        return _client_error(request, exc, api)
    except Exception:
        log.exception("unhandled error", method=request.method, path=route_of(request))
        title, message = "Erreur interne", "Une erreur inattendue est survenue. Réessayez plus tard."
        return problem(500, title, message) if api else error_page(request, 500, title, message)

