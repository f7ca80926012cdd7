"""notify's settings: the SMTP server, the sender address, the portal's address in the mails, the digest's
hour, the retry delays of a mail."""

from pydantic import Field

from kit.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_tls: str = Field(default="none", pattern="^(none|starttls|tls)$")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    mail_from: str = "Portail Famille <ne-pas-repondre@portail-famille.local>"
    public_url: str = "http://127.0.0.1:8080/"  # the link in every mail
    digest_hour: int = Field(default=7, ge=0, le=23, description="Europe/Paris hour of the morning digest")
    digest_scheduler: bool = True  # off when a Kubernetes CronJob runs `python -m services.notify digest`
    # Growing delays between attempts after a temporary SMTP failure; after the last, the mail is "failed".
    retry_delays_seconds: str = Field(default="30,120,600,1800,3600", pattern=r"^\d+(\.\d+)?(,\d+(\.\d+)?)*$")
    delivery_poll_seconds: float = Field(default=5, gt=0)
    # SMTP sessions sending in parallel, and the relay's limit in mails per second over all of them (0: none)
    smtp_sessions: int = Field(default=8, ge=1, le=64)
    smtp_rate_per_second: float = Field(default=0, ge=0)

    @property
    def retry_delays(self) -> tuple[float, ...]:
        return tuple(float(x) for x in self.retry_delays_seconds.split(","))

    @property
    def portal_url(self) -> str:
        """The portal's address as the mails link to it (ending with "/")."""
        return self.public_url if self.public_url.endswith("/") else self.public_url + "/"

