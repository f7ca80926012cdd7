"""The public API's models for mass closures (strike, weather, a closed school): staff close an activity or a
whole structure for a day or a range, every booking of those days cancelled; they may re-open it before its
first day."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class MassClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity_id: uuid.UUID | None = Field(default=None, description="L'activité fermée ; absente : toute la structure.")
    start: date
    end: date
    label: str = Field(min_length=2, max_length=120, description="Le motif, dit aux familles (« Grève »).")


class MassClosureOut(BaseModel):
    id: uuid.UUID
    cancelled: int = Field(description="Les réservations annulées (acceptées, en liste d'attente ou en attente).")


class MassClosure(BaseModel):
    id: uuid.UUID
    activity_id: uuid.UUID | None
    activity_name: str | None
    start: date
    end: date
    label: str
    cancels_bookings: bool = Field(description="Fermeture qui annule les réservations (sinon : jours retirés).")


class MassClosuresOut(BaseModel):
    closures: list[MassClosure]
