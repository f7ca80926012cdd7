"""Settings from PORTAIL_* environment variables, with an error a human can act on."""

from __future__ import annotations

import sys
from typing import Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    """What every process of the portal reads."""

    model_config = SettingsConfigDict(env_prefix="PORTAIL_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=1, le=65535, description="default: the service's own port")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str | None = None
    # Secrets have no default value: a process missing one stops at start, naming the variable.
    identity_secret: str = Field(min_length=32)


# The port each process listens on unless PORTAIL_HTTP_PORT says otherwise.
DEFAULT_PORTS = {"gateway": 8080, "auth": 8081, "booking": 8082, "dossier": 8083, "notify": 8084, "billing": 8085}


class ServiceSettings(CommonSettings):
    """A service that owns a database."""

    database_url: str
    # RabbitMQ with its credentials (a secret, like the database URL): required, no default.
    amqp_url: str = Field(min_length=1)
    outbox_batch_size: int = Field(default=1000, ge=1, le=5000)  # rows per relay batch (docs/adr/0009)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    bus_delivery_limit: int = Field(default=5, ge=1, le=100)
    # Deliveries in flight per queue, applied in batches of up to bus_batch_size events per transaction,
    # in the order they were published (docs/adr/0009; 100 measured: bench/README.md)
    bus_prefetch: int = Field(default=100, ge=1, le=1000)
    bus_batch_size: int = Field(default=100, ge=1, le=1000)
    # Partitioned subscriptions, the same in every process: "billing.booking.transmitted.v1=4,..." (kit.topology)
    bus_partitions: str = ""
    # The partitions this replica consumes ("0,1"; empty: all of them, each with one active consumer)
    bus_partitions_owned: str = Field(default="", pattern=r"^(\d+(,\d+)*)?$")


S = TypeVar("S", bound=BaseSettings)


class SettingsError(SystemExit):
    """Raised at start-up when the environment is incomplete or malformed."""


# French wording of the validation errors an environment variable can cause; others fall back to
# pydantic's (English) message. The value given is never repeated: it may be a secret.
_FRENCH = {
    "int_parsing": "un nombre entier est attendu",
    "int_from_float": "un nombre entier est attendu",
    "float_parsing": "un nombre est attendu",
    "bool_parsing": "un booléen est attendu (true/false)",
    "greater_than": "la valeur doit être strictement supérieure à {gt}",
    "greater_than_equal": "la valeur doit être supérieure ou égale à {ge}",
    "less_than": "la valeur doit être strictement inférieure à {lt}",
    "less_than_equal": "la valeur doit être inférieure ou égale à {le}",
    "string_too_short": "au moins {min_length} caractères sont attendus",
    "string_too_long": "au plus {max_length} caractères sont attendus",
    "string_pattern_mismatch": "la valeur doit respecter le motif {pattern}",
    "literal_error": "valeurs possibles : {expected}",
}


def _french(err: dict) -> str:
    template = _FRENCH.get(err["type"])
    if template is None:
        return err["msg"]
    try:
        return template.format(**(err.get("ctx") or {})).replace(" or ", " ou ")
    except (KeyError, IndexError):
        return err["msg"]


def describe_errors(cls: type[BaseSettings], exc: ValidationError) -> str:
    prefix = cls.model_config.get("env_prefix", "")
    lines = ["Configuration invalide :"]
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        var = f"{prefix}{field}".upper()
        if err["type"] == "missing":
            lines.append(f"  - la variable d'environnement {var} est obligatoire mais absente")
        else:
            lines.append(f"  - la variable d'environnement {var} est invalide : {_french(err)}")
    return "\n".join(lines)


def load_settings(cls: type[S], **overrides) -> S:
    """Build settings or stop the process with a French message naming each bad variable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        message = describe_errors(cls, exc)
        print(message, file=sys.stderr)
        raise SettingsError(message) from None
