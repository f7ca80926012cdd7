"""The client of auth: sessions, sign-in, passwords and their rules, consents, structures and families."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kit.identity import Identity
from services.gateway.clients.base import ANONYMOUS_ID as ANONYMOUS
from services.gateway.clients.base import OperatedService, Refused, path


class AuthClient(OperatedService):
    name = "auth"
    # told of every call sent to auth (method, path, caller, status; None when no answer came): the gateway's
    # session cache drops what the call may have made stale (web/session_cache.py)
    on_call: Callable[[str, str, Identity, int | None], None] | None = None

    async def exchange(self, method: str, target: str, who: Identity, **kwargs) -> tuple[int, str, bytes]:
        """Every call to auth, the pages' and the API's forwarding alike, goes through here."""
        status = None
        try:
            status, kind, body = await super().exchange(method, target, who, **kwargs)
            return status, kind, body
        finally:
            if self.on_call is not None:
                self.on_call(method, target, who, status)

    # -- sessions --------------------------------------------------------------------------------------
    async def resolve_session(self, token: str) -> dict | None:
        """The account behind a session cookie, or None when the session is unknown or over."""
        status, body = await self.raw("POST", "/v1/sessions/resolve", ANONYMOUS, json={"token": token})
        return body if status == 200 else None

    async def login(self, login: str, password: str, client_address: str | None) -> dict:
        """The new session (`session_token`); Refused (401, 429) with auth's French detail."""
        return await self.post("/v1/login", ANONYMOUS, {"login": login, "password": password,
                                                        "client_address": client_address})

    async def logout(self, who: Identity) -> None:
        await self.raw("POST", "/v1/logout", who)

    async def choose_structure(self, who: Identity, structure_id: str) -> None:
        """The session's current structure; an unknown one is ignored (422), another's Forbidden."""
        try:
            await self.post("/v1/sessions/structure", who, {"structure_id": structure_id})
        except Refused as exc:
            if exc.status != 422:
                raise

    # -- passwords ---------------------------------------------------------------------------------------
    async def password_rules(self) -> list[dict]:
        """The password rules as auth checks them, in order: `id`, French `label` (and how to test it)."""
        return (await self.get("/v1/password/rules", ANONYMOUS))["rules"]

    async def set_required_password(self, who: Identity, password: str, confirmation: str) -> None:
        await self.post("/v1/password/required", who, {"password": password, "confirmation": confirmation})

    async def change_password(self, who: Identity, current: str, password: str, confirmation: str) -> None:
        await self.post("/v1/password/change", who, {"current": current, "password": password,
                                                     "confirmation": confirmation})

    async def request_reset(self, login: str, email: str) -> None:
        await self.post("/v1/password/reset-requests", ANONYMOUS, {"login": login, "email": email})

    async def reset_link_valid(self, token: str) -> bool:
        status, body = await self.raw("POST", "/v1/password/reset-links/check", ANONYMOUS, json={"token": token})
        return status == 200 and bool(body["valid"])

    async def reset_password(self, token: str, password: str, confirmation: str) -> None:
        await self.post("/v1/password/reset", ANONYMOUS, {"token": token, "password": password,
                                                          "confirmation": confirmation})

    # -- the account ----------------------------------------------------------------------------------
    async def legal_documents(self, who: Identity) -> list[dict]:
        return (await self.get("/v1/legal", who))["documents"]

    async def accept(self, who: Identity, kinds: list[str]) -> None:
        await self.post("/v1/consents", who, {"accepted": kinds})

    async def change_emails(self, who: Identity, emails: str, password: str) -> None:
        await self.call("PUT", "/v1/profile/emails", who, json={"emails": emails, "password": password})

    # -- structures and families (staff) ----------------------------------------------------------------
    async def structures(self, who: Identity = ANONYMOUS) -> list[dict]:
        return (await self.get("/v1/structures", who))["structures"]

    async def publish_news(self, who: Identity, structure_id: str, news_html: str) -> None:
        await self.call("PUT", path("/v1/structures/{}/news", structure_id), who, json={"news_html": news_html})

    async def create_family(self, who: Identity, family: dict[str, Any]) -> dict:
        return await self.post("/v1/families", who, family)

    async def import_families(self, who: Identity, csv: bytes) -> dict:
        return await self.post("/v1/families/import", who, data=csv, content_type="text/csv")

    async def require_new_password(self, who: Identity, family_id: str) -> None:
        await self.post(path("/v1/families/{}/security-update", family_id), who)

    async def publish_legal(self, who: Identity, kind: str, title: str, body_html: str) -> dict:
        return await self.post(path("/v1/legal/{}", kind), who, {"title": title, "body_html": body_html})

    # -- finding a family (staff) -----------------------------------------------------------------------
    async def search_families(self, who: Identity, structure_id: str | None, q: str, page: str,
                              address_matches: list[str] = ()) -> dict:
        """A page of the structure's families matching `q` (or whose address dossier matched): `families`,
        `total`, `page`, `pages`, `has_previous`, `has_next`."""
        return await self.post("/v1/staff/families/search", who, {
            "structure_id": structure_id, "q": q, "page": page, "address_matches": list(address_matches)})

    async def staff_family(self, who: Identity, family_id: str) -> dict:
        """A family of the caller's structures: identifiant, guardians, children, structures, e-mails."""
        return await self.get(path("/v1/staff/families/{}", family_id), who)

    async def link_second_household(self, who: Identity, family_id: str, child_id: str, identifiant: str) -> dict:
        """Shared custody (garde alternée): the family `identifiant` becomes the child's second household."""
        return await self.post(path("/v1/staff/families/{}/children/{}/second-household", family_id, child_id),
                               who, {"identifiant": identifiant})

    async def lookup_families(self, who: Identity, family_ids: list[str]) -> dict[str, dict]:
        """Of these families, those the caller may see, by id."""
        if not family_ids:
            return {}
        found = (await self.post("/v1/staff/families/lookup", who, {"family_ids": family_ids}))["families"]
        return {f["id"]: f for f in found}
