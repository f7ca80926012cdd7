"""The client of dossier: the family's dossier, its sheets (draft, transmission), their documents, the
family's contacts, the insurers; for staff, the sheets to review; for administrators, the campaigns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from kit.identity import Identity
from services.gateway.clients.base import NotFound, OperatedService, file_or_error, path


class DossierClient(OperatedService):
    name = "dossier"

    # -- the family ------------------------------------------------------------------------------------
    async def dossier(self, who: Identity) -> dict | None:
        """The family's dossier of the open campaign (its sheets and children); None when there is none."""
        try:
            return await self.get("/v1/dossier", who)
        except NotFound:
            return None

    async def sheet(self, who: Identity, sheet_id: object) -> dict:
        """One sheet: its kind, state, data, documents, limits and whether it may still be changed."""
        return await self.get(path("/v1/sheets/{}", sheet_id), who)

    async def save_draft(self, who: Identity, sheet_id: object, data: Mapping[str, Any]) -> dict:
        return await self.call("PUT", path("/v1/sheets/{}/draft", sheet_id), who, json={"data": data})

    async def submit(self, who: Identity, sheet_id: object, data: Mapping[str, Any]) -> dict:
        """Transmit a sheet; an incomplete one is Refused (422) with the `missing` list in its body."""
        return await self.post(path("/v1/sheets/{}/submit", sheet_id), who, {"data": data})

    async def upload(self, who: Identity, sheet_id: object, kind: str, content: bytes, filename: str) -> dict:
        return await self.post(path("/v1/sheets/{}/documents", sheet_id, kind=kind), who, data=content,
                               content_type="application/octet-stream", extra_headers={"X-Filename": filename})

    async def delete_document(self, who: Identity, document_id: object) -> None:
        await self.call("DELETE", path("/v1/documents/{}", document_id), who)

    async def document(self, request: web.Request, who: Identity, document_id: object) -> web.StreamResponse:
        """A supporting document, relayed to the browser as it arrives."""
        return await file_or_error(request, self, path("/v1/documents/{}", document_id), who)

    async def archive(self, request: web.Request, who: Identity) -> web.StreamResponse:
        """The whole dossier of the family as a ZIP archive, relayed as it arrives."""
        return await file_or_error(request, self, "/v1/archive", who)

    async def contacts(self, who: Identity) -> list[dict]:
        return (await self.get("/v1/contacts", who))["contacts"]

    async def create_contact(self, who: Identity, contact: Mapping[str, str]) -> str:
        """The new contact's id."""
        return (await self.post("/v1/contacts", who, dict(contact)))["id"]

    async def update_contact(self, who: Identity, contact_id: object, contact: Mapping[str, str]) -> None:
        await self.call("PUT", path("/v1/contacts/{}", contact_id), who, json=dict(contact))

    async def delete_contact(self, who: Identity, contact_id: object) -> None:
        await self.call("DELETE", path("/v1/contacts/{}", contact_id), who)

    async def insurers(self, who: Identity) -> list[dict]:
        return (await self.get("/v1/insurers", who))["insurers"]

    # -- staff and administrators -------------------------------------------------------------------------
    async def review_queue(self, who: Identity) -> list[dict] | None:
        """The transmitted sheets awaiting review; None when no campaign is open."""
        try:
            return (await self.get("/v1/review", who))["sheets"]
        except NotFound:
            return None

    async def staff_sheet(self, who: Identity, sheet_id: object) -> dict:
        """A transmitted sheet read by staff (the read is traced)."""
        return await self.get(path("/v1/staff/sheets/{}", sheet_id), who)

    async def review(self, who: Identity, sheet_id: object, decision: str, reason: str | None) -> dict:
        return await self.post(path("/v1/staff/sheets/{}/review", sheet_id), who,
                               {"decision": decision, "reason": reason})

    async def open_campaign(self, who: Identity, school_year: str) -> dict:
        return await self.post("/v1/campaigns", who, {"school_year": school_year})

    # -- staff: rosters (listes de présence) ------------------------------------------------------------------
    async def roster_flags(self, who: Identity, structure_id: str, child_ids: list[str]) -> dict[str, dict]:
        """The flags a roster shows of each child of the structure (PAI, diets, image rights, who may pick
        the child up, who to call), by child id; dossier audits the health reads. A child it does not know
        as one of the structure's is absent."""
        if not child_ids:
            return {}
        body = await self.post("/v1/staff/roster-flags", who, {"structure_id": structure_id, "child_ids": child_ids})
        return {c["child_id"]: c for c in body["children"]}

    async def day_summary(self, who: Identity, structure_id: str, groups: list[dict]) -> dict:
        """The day's counts (meals, « sans porc », vegetarian, PAI; per activity too) from booking's groups
        ({key, serves_meal, child_ids})."""
        return await self.post("/v1/staff/day-summary", who, {"structure_id": structure_id, "groups": groups})

    # -- a family's page (staff) -------------------------------------------------------------------------
    async def family_sheets(self, who: Identity, family_id: str) -> dict:
        """The state of each sheet of the family (current campaign) and its transmitted address."""
        return await self.get(path("/v1/staff/families/{}/sheets", family_id), who)

    async def families_at_address(self, who: Identity, q: str) -> list[str]:
        """The families of the caller's structures whose transmitted address contains `q`."""
        return (await self.get(path("/v1/staff/family-addresses", q=q), who))["family_ids"]

    # -- staff: the campaign's follow-up, the reminders, the règlement intérieur (issue 16) -------------------
    async def campaign_progress(self, who: Identity, structure_id: str) -> dict | None:
        """Per sheet kind, the structure's families in each state, and those that have not started; None
        when no campaign is open."""
        try:
            return await self.get(path("/v1/staff/campaign", structure_id=structure_id), who)
        except NotFound as exc:
            if exc.detail_given and "campagne" in exc.detail_given:
                return None
            raise

    async def remind(self, who: Identity, structure_id: str) -> dict:
        """Remind the families that have not started: how many were mailed, how many already were today."""
        return await self.post("/v1/staff/campaign/reminders", who, {"structure_id": structure_id})

    async def house_rules(self, who: Identity, structure_id: str) -> list[dict]:
        return (await self.get(path("/v1/staff/house-rules", structure_id=structure_id), who))["house_rules"]

    async def upload_house_rules(self, who: Identity, structure_id: str, school_year: str, content: bytes,
                                 filename: str) -> dict:
        """A new version of the règlement: its number and how many signed families must sign again."""
        return await self.post(path("/v1/staff/house-rules", structure_id=structure_id, school_year=school_year),
                               who, data=content, content_type="application/octet-stream",
                               extra_headers={"X-Filename": filename})

    async def house_rules_file(self, request: web.Request, who: Identity, rules_id: object) -> web.StreamResponse:
        """A règlement's PDF, relayed as it arrives (its structure's staff, a family that signs it)."""
        return await file_or_error(request, self, path("/v1/house-rules/{}", rules_id), who)

    # -- the campaign's closing day (issue 19) ----------------------------------------------------------------
    async def set_campaign_closing(self, who: Identity, school_year: str, closes_on: str | None) -> None:
        """The day the campaign closes (AAAA-MM-JJ; None clears it): reminders go out in the days before."""
        await self.call("PUT", path("/v1/campaigns/{}/closing", school_year), who, json={"closes_on": closes_on})

    # -- medical certificates of declared absences (issue 19) -------------------------------------------------
    async def upload_certificate(self, who: Identity, child_id: str, content: bytes, filename: str) -> str:
        """The certificate kept (same rules as the documents); its id, given to booking with the absence."""
        return (await self.post(path("/v1/certificates", child_id=child_id), who, data=content,
                                content_type="application/octet-stream", extra_headers={"X-Filename": filename}))["id"]

    async def certificate(self, request: web.Request, who: Identity, certificate_id: str,
                          family_id: str | None = None) -> web.StreamResponse:
        """A certificate relayed to the browser; for staff, `family_id` is the family of the absence."""
        return await file_or_error(request, self, path("/v1/certificates/{}", certificate_id, family_id=family_id),
                                   who)

    async def campaign_closing(self, who: Identity) -> dict:
        """The current campaign's `school_year` and `closes_on` (AAAA-MM-JJ or None)."""
        return await self.get("/v1/campaigns/current/closing", who)
