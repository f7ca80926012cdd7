"""The client of notify: the delivery log of the mails, and the morning digest sent on demand."""

from __future__ import annotations

from kit.identity import Identity
from services.gateway.clients.base import OperatedService, path


class NotifyClient(OperatedService):
    name = "notify"

    async def deliveries(self, who: Identity, status: str | None = None) -> list[dict]:
        return (await self.get(path("/v1/deliveries", status=status), who))["deliveries"]

    async def send_digests(self, who: Identity) -> dict:
        return await self.post("/v1/digests", who)

    # -- staff: a family's mails, the failed ones, sending one again ---------------------------------------
    async def family_mails(self, who: Identity, family_id: str) -> list[dict]:
        """The family's mails about the caller's structures, each with its state (`status_label`)."""
        return (await self.get(path("/v1/families/{}/mails", family_id), who))["mails"]

    async def failed_mails(self, who: Identity, structure_id: str | None) -> list[dict]:
        """The failed mails of the structure: recipients, subject, `smtp_answer`, `resendable`."""
        return (await self.get(path("/v1/mails/failed", structure_id=structure_id), who))["mails"]

    async def resend(self, who: Identity, delivery_id: int | str) -> None:
        await self.post(path("/v1/mails/{}/resend", delivery_id), who)

    async def digest_status(self, who: Identity, structure_id: str) -> dict:
        """The morning digest's latest run and the structure's part of it (its staff may see it)."""
        return await self.get(path("/v1/digests/status", structure_id=structure_id), who)

    # -- a family's automatic reminders (issue 19) -----------------------------------------------------------
    async def reminder_preference(self, who: Identity) -> bool:
        """True when the family receives the automatic reminders (the default)."""
        return bool((await self.get("/v1/reminders/preference", who))["receive"])

    async def set_reminder_preference(self, who: Identity, receive: bool) -> None:
        await self.call("PUT", "/v1/reminders/preference", who, json={"receive": receive})
