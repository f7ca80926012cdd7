from pydantic import Field

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
    # The session cookie is Secure unless the portal is served over plain http (local development).
    cookie_secure: bool = True
    # Behind an ingress / reverse proxy: take the client address from X-Forwarded-For.
    trust_forwarded_for: bool = False
    # Prometheus scrapes /metrics with this bearer token (the gateway is reachable from outside).
    metrics_token: str | None = None

    def service_url(self, name: str) -> str:
        return getattr(self, f"{name}_url")
