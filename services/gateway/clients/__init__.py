"""The typed clients of the five services, built once per application on one HTTP session and reached from
a request with `clients_of(request)`. Their one error model lives in `clients/base.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from services.gateway.clients.auth import AuthClient
from services.gateway.clients.base import (
    ClientError,
    Failed,
    Forbidden,
    NotFound,
    OperatedService,
    Refused,
    ServiceClient,
    Unavailable,
    relay,
)
from services.gateway.clients.billing import BillingClient
from services.gateway.clients.booking import BookingClient
from services.gateway.clients.dossier import DossierClient
from services.gateway.clients.notify import NotifyClient

__all__ = ["AuthClient", "BillingClient", "BookingClient", "ClientError", "Clients", "DossierClient", "Failed",
           "Forbidden", "NotFound", "NotifyClient", "Refused", "ServiceClient", "Unavailable", "clients_of",
           "relay"]


@dataclass(frozen=True)
class Clients:
    auth: AuthClient
    booking: BookingClient
    dossier: DossierClient
    notify: NotifyClient
    billing: BillingClient

    @classmethod
    def build(cls, session: aiohttp.ClientSession, urls: dict[str, str], secret: str,
              on_auth_call: Callable | None = None, children_seconds: float = 0) -> Clients:
        """`on_auth_call(method, path, who, status)` after each call to auth (the session cache's revocation);
        a family's children kept `children_seconds` (clients/booking.py)."""
        auth = AuthClient(session, urls["auth"], secret)
        booking = BookingClient(session, urls["booking"], secret)
        booking.children_seconds = children_seconds

        def after_auth_call(method, target, who, status):
            booking.changed_by(method, who)  # staff changed a family in auth: its children may have changed
            if on_auth_call is not None:
                on_auth_call(method, target, who, status)

        auth.on_call = after_auth_call
        return cls(auth=auth, booking=booking,
                   dossier=DossierClient(session, urls["dossier"], secret),
                   notify=NotifyClient(session, urls["notify"], secret),
                   billing=BillingClient(session, urls["billing"], secret))

    def named(self, name: str) -> OperatedService:
        """A service's client by its name (the operators' routes, the API's forwarding)."""
        return getattr(self, name)

    def all(self) -> tuple[OperatedService, ...]:
        return (self.auth, self.booking, self.dossier, self.notify, self.billing)


CLIENTS = web.AppKey("clients", Clients)


def clients_of(request: web.Request) -> Clients:
    return request.app[CLIENTS]
