"""Mail (notify, through the gateway): the delivery log and the digest."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class DeliveriesQuery(BaseModel):
    status: Literal["pending", "sending", "sent", "failed"] | None = Field(
        default=None, description="Par défaut : failed. « sending » : remis au serveur SMTP, pas encore confirmé.")


class Delivery(BaseModel):
    id: int
    template: str
    family_id: str | None
    structure_id: str | None
    recipients: int | None
    subject: str | None
    status: str
    attempts: int
    smtp_answer: str | None
    created_at: str
    sent_at: str | None
    last_attempt_at: str | None = None
    repeats: int = Field(default=0, description="Envois répétés après un arrêt brutal (même Message-ID).")


class DeliveriesOut(BaseModel):
    deliveries: list[Delivery]


class DigestOut(BaseModel):
    run_id: str
    families: int
    mails: int
    waiting: int
