"""The public JSON API's request and response models (/api/v1 of the gateway), shared by the gateway's
declarations (services/gateway/public_api.py), the OpenAPI document generated from them and, where a
service validates the same body, by the service itself.

Pydantic only: nothing here imports `kit` or `services`. Response models list the fields a client may
rely on; they do not forbid others (a service may add a field without breaking a client)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    """A refusal or an error, in French (RFC 9457 problem details)."""

    model_config = ConfigDict(extra="allow", title="Problème")

    type: str = Field(default="about:blank")
    title: str = Field(description="Le titre du problème, en français.")
    status: int = Field(description="Le code HTTP.")
    detail: str | None = Field(default=None, description="L'explication, en français.")
    errors: list[dict[str, Any]] | None = None
    messages: list[str] | None = None


class Created(BaseModel):
    """A resource created: its identifier."""

    id: str
