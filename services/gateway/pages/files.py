"""A service's file (export, invoice, document, archive) for a page: relayed as it comes, or the one French
page a file that cannot be produced gives."""

from __future__ import annotations

from collections.abc import Awaitable

from aiohttp import web

from services.gateway.clients import Forbidden, NotFound, Refused, Unavailable
from services.gateway.web.errors import PageError

UNAVAILABLE = ("Fichier indisponible", "Le fichier n'a pas pu être produit. Réessayez plus tard.")


async def file_page(answer: Awaitable[web.StreamResponse]) -> web.StreamResponse:
    """A relayed file, or the French page saying it could not be produced (404 when it does not exist)."""
    try:
        return await answer
    except NotFound:
        raise web.HTTPNotFound() from None
    except Unavailable as exc:
        if not exc.answered:
            raise
        raise PageError(502, *UNAVAILABLE) from exc
    except (Refused, Forbidden) as exc:
        raise PageError(400, *UNAVAILABLE) from exc
