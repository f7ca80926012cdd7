"""(to be written) pages of the gateway."""

from __future__ import annotations

from aiohttp import web


def routes(app: web.Application) -> None:
    return None
