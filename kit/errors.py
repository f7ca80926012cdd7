"""Start-up failures explained to the person running the portal, without a traceback."""

from __future__ import annotations

from urllib.parse import urlsplit


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or ''}".rstrip(":")


class DependencyUnavailable(RuntimeError):
    """PostgreSQL or RabbitMQ cannot be reached."""

    def __init__(self, what: str, where: str, how: str, cause: BaseException):
        self.what, self.where, self.how = what, where, how
        super().__init__(f"{what} est injoignable à l'adresse {where} ({cause}). {how}")

    @classmethod
    def postgres(cls, dsn: str, cause: BaseException) -> DependencyUnavailable:
        return cls(
            "PostgreSQL", _where(dsn) or "127.0.0.1:5432",
            "Démarrez-le, par exemple : pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start — ou indiquez son adresse dans PORTAIL_DATABASE_URL.",
            cause,
        )

    @classmethod
    def rabbitmq(cls, url: str, cause: BaseException) -> DependencyUnavailable:
        return cls(
            "RabbitMQ", _where(url) or "127.0.0.1:5672",
            "Démarrez-le, par exemple : rabbitmq-server -detached — ou indiquez son adresse "
            "dans PORTAIL_AMQP_URL.",
            cause,
        )
