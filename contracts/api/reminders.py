"""The automatic reminders (issue 19, through the gateway): a family's choice to receive them (notify), and the
dossier campaign's closing day (dossier), before which the incomplete dossiers are reminded."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class ReminderPreference(BaseModel):
    receive: bool = Field(description="Recevoir les rappels automatiques par courriel (oui par défaut).")


class CampaignClosingIn(BaseModel):
    closes_on: date | None = Field(default=None, description="Le jour de clôture de la campagne ; nul : aucun.")
