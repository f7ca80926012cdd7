"""The gateway's settings: where each service answers, its public address, cookies and the session cache,
trusted proxies, the metrics token and development mode (the dummy payment backend's local page)."""

import json
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from kit.settings import CommonSettings

SERVICES = ("auth", "booking", "dossier", "notify", "billing")


class GatewaySettings(CommonSettings):
    auth_url: str = "http://127.0.0.1:8081"
    booking_url: str = "http://127.0.0.1:8082"
    dossier_url: str = "http://127.0.0.1:8083"
    notify_url: str = "http://127.0.0.1:8084"
    billing_url: str = "http://127.0.0.1:8085"
    public_url: str = "http://127.0.0.1:8080"
    service_timeout_seconds: float = Field(default=10, gt=0)
    # Connections open at once to the services, all of them together (aiohttp's default is 100). A confirmation
    # holds its connection while booking's waiting room answers (up to 3 s, docs/adr/0008): 100 would cap the
    # rush at about 33 confirmations a second, the others waiting here until their timeout (503).
    service_connections: int = Field(default=1000, ge=10)
    # Sessions resolved by auth, and a signed-in family's children as booking lists them, are kept this many
    # seconds by each replica (docs/adr/0015): a session ended through another replica is still honoured here
    # for at most this long. 0: every request asks auth and booking.
    session_cache_seconds: float = Field(default=5, ge=0, le=60)
    session_cache_size: int = Field(default=20_000, ge=0)  # entries (about 2 KB each), the oldest go first
    # The session cookie is Secure unless the portal is served over plain http (local development).
    cookie_secure: bool = True
    # Behind an ingress / reverse proxy: the addresses or networks of the proxies whose X-Forwarded-For is
    # believed ("10.0.0.0/8,192.0.2.7" or a JSON list). For a request from any other peer, the client address
    # is the peer's own, whatever X-Forwarded-For it sends. Empty (default): X-Forwarded-For is never read.
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()
    # Prometheus scrapes /metrics with this bearer token (the gateway is reachable from outside): no
    # default, start refuses without it.
    metrics_token: str = Field(min_length=32)
    # Development mode (make run, the tests): serves /paiement-dummy/, the local page of eopayment's `dummy`
    # payment backend (whose own page is unreachable). Never on Kubernetes.
    development: bool = False
    # The origins of the structures' payment backends' pages (e.g. "https://www.payfip.gov.fr"), separated by
    # spaces: the consumptions page's form-action lets the « Payer en ligne » form be redirected there.
    payment_origins: str = Field(default="", pattern=r"^(https://[A-Za-z0-9.-]+(:\d+)?( +|$))*$")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value):
        try:
            if isinstance(value, str):
                text = value.strip()
                items = json.loads(text) if text.startswith("[") else text.replace(",", " ").split()
            else:
                items = value
            if isinstance(items, str | dict):  # a JSON value that is not a list
                items = [items]
            return tuple(v if isinstance(v, IPv4Network | IPv6Network) else ip_network(str(v).strip(), strict=False)
                         for v in items)
        except (ValueError, TypeError):
            raise ValueError("adresses ou réseaux IP attendus, séparés par des virgules "
                             "(exemple : 10.0.0.0/8,192.0.2.7)") from None

    def service_url(self, name: str) -> str:
        return getattr(self, f"{name}_url")
