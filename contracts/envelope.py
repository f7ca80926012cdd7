"""The envelope every event and command travels in, and the base class of their payloads."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
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

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.TYPE}.v{cls.VERSION}"


P = TypeVar("P", bound=BaseModel)


class Envelope(BaseModel, Generic[P]):
    """What is published: identity, provenance and tracing around the payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
        occurred_at=occurred_at or datetime.now(timezone.utc),
        producer=producer,
        correlation_id=correlation_id,
        trace_context=trace_context or {},
        payload=payload,
    )
