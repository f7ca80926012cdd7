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
