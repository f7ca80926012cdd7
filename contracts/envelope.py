"""The envelope every event and command travels in, and the base class of their payloads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

PUBLIC = "public"      # portail.events: other municipal systems may bind to it
INTERNAL = "internal"  # portail.internal: commands and private events (secrets, personal detail)


class Message(BaseModel):
    """A payload. Subclasses name their type, major version and the exchange they travel on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int]
    EXCHANGE: ClassVar[Literal["public", "internal"]] = PUBLIC
    DESCRIPTION: ClassVar[str] = ""
    # Documentation only: the service named as producer in the example envelope (default: the
    # first segment of TYPE, e.g. "booking" for booking.transmitted).
    EXAMPLE_PRODUCER: ClassVar[str | None] = None

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.TYPE}.v{cls.VERSION}"


P = TypeVar("P", bound=BaseModel)


def _envelope_examples(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    """Envelope[SomeMessage]'s JSON schema gets a whole example message built around the payload's
    own example (fixed values: the generated AsyncAPI document must be reproducible)."""
    payload_type = cls.model_fields["payload"].annotation
    if not (isinstance(payload_type, type) and issubclass(payload_type, Message)):
        return
    extra = payload_type.model_config.get("json_schema_extra")
    payload_examples = extra.get("examples") if isinstance(extra, dict) else None
    if not payload_examples:
        return
    schema["examples"] = [
        {
            "event_id": "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b",
            "type": payload_type.TYPE,
            "version": payload_type.VERSION,
            "occurred_at": "2025-09-05T02:00:03Z",
            "producer": payload_type.EXAMPLE_PRODUCER or payload_type.TYPE.split(".")[0],
            "correlation_id": "c0ffee00-5eed-4b1d-9a2e-000000000001",
            "trace_context": {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
            "payload": example,
        }
        for example in payload_examples
    ]


class Envelope(BaseModel, Generic[P]):
    """What is published: identity, provenance and tracing around the payload."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_envelope_examples)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique; consumers skip one seen before.")
    type: str = Field(description="Event or command type, e.g. booking.transmitted")
    version: int = Field(ge=1, description="Major version; a breaking change is a new version.")
    occurred_at: datetime = Field(description="When the fact happened (UTC).")
    producer: str = Field(description="The service that wrote it.")
    correlation_id: str | None = Field(default=None, description="Ties together what one request caused.")
    trace_context: dict[str, str] = Field(default_factory=dict, description="W3C traceparent/tracestate.")
    payload: P


def wrap(
    payload: Message,
    *,
    producer: str,
    correlation_id: str | None = None,
    trace_context: dict[str, str] | None = None,
    occurred_at: datetime | None = None,
) -> Envelope[Any]:
    return Envelope[type(payload)](  # type: ignore[misc]
        type=payload.TYPE,
        version=payload.VERSION,
        occurred_at=occurred_at or datetime.now(UTC),
        producer=producer,
        correlation_id=correlation_id,
        trace_context=trace_context or {},
        payload=payload,
    )
