"""The client of booking: a child's calendar and day, the basket (quick tools, copy, recap, confirmation),
the follow-up and the private calendar feed; for staff, activities, sessions, periods and requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from kit.identity import Identity
from services.gateway.clients.base import ANONYMOUS_ID, OperatedService, path

Basket = list[dict]


class BookingClient(OperatedService):
    name = "booking"
    # A family's children as booking last answered, kept this many seconds by the replica (0: not kept): nearly
    # every parent page asks for them, and only staff change them (docs/adr/0015).
    children_seconds: float = 0
    clock: Callable[[], float] = time.monotonic
    CHILDREN_KEPT = 20_000  # families; beyond, everything is forgotten at once

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._children: dict[object, tuple[float, list[dict]]] = {}

    async def exchange(self, method: str, target: str, who: Identity, **kwargs) -> tuple[int, str, bytes]:
        """Every call to booking; a change by staff (enrolments, activities…) forgets the children kept."""
        try:
            return await super().exchange(method, target, who, **kwargs)
        finally:
            self.changed_by(method, who)

    def changed_by(self, method: str, who: Identity) -> None:
        """After a call to booking or auth: a change by staff or an admin (a child enrolled, added to a family…)
        forgets every family's children kept."""
        if method not in ("GET", "HEAD") and who.role in ("staff", "admin"):
            self._children.clear()

    # -- the family -------------------------------------------------------------------------------------
    async def children(self, who: Identity) -> list[dict]:
        """The family's children, each with the activities offered to it."""
        key = who.family_id if who.role == "parent" and self.children_seconds > 0 else None
        kept = self._children.get(key) if key else None
        if kept is not None and self.clock() < kept[0]:
            return list(kept[1])
        children = (await self.get("/v1/children", who))["children"]
        if key:
            if len(self._children) >= self.CHILDREN_KEPT:
                self._children.clear()
            self._children[key] = (self.clock() + self.children_seconds, children)
        return list(children)

    async def calendar(self, who: Identity, child_id: str, month: str, activity_id: str | None,
                       basket: Basket = ()) -> dict:
        """The month of a child: each day's state, `label` and allowed `actions`, and the legend."""
        return await self.post("/v1/calendar", who, {"child_id": child_id, "month": month,
                                                     "activity_id": activity_id, "basket": list(basket)})

    async def day(self, who: Identity, child_id: str, day: date, basket: Basket = ()) -> dict:
        """The activities of a child on a day, each with its state and what the basket asks for it."""
        return await self.post("/v1/day", who, {"child_id": child_id, "date": day.isoformat(),
                                                "basket": list(basket)})

    async def quick_fill(self, who: Identity, child_id: str, activity_id: str, month: str, basket: Basket,
                         scope: str, day: date | None = None, weekday: int | None = None) -> Basket:
        """The basket with a whole week, a weekday or the month asked for (or taken back)."""
        body: dict[str, Any] = {"child_id": child_id, "activity_id": activity_id, "month": month,
                                "basket": list(basket), "scope": scope}
        if day is not None:
            body["day"] = day.isoformat()
        if weekday is not None:
            body["weekday"] = weekday
        return (await self.post("/v1/basket/quick", who, body))["basket"]

    async def copy(self, who: Identity, source: tuple[str, str], target: tuple[str, str], start: date, end: date,
                   basket: Basket) -> dict:
        """The basket with a period of (child, activity) `source` copied onto `target`, and the days not
        imported; a period booking refuses (too long, upside down) is Refused."""
        return await self.post("/v1/basket/copy", who, {
            "source_child_id": source[0], "source_activity_id": source[1], "start": start.isoformat(),
            "end": end.isoformat(), "target_child_id": target[0], "target_activity_id": target[1],
            "basket": list(basket)})

    async def recap(self, who: Identity, basket: Basket) -> dict:
        return await self.post("/v1/basket/recap", who, {"lines": list(basket)})

    async def confirm(self, who: Identity, basket: Basket) -> list[dict]:
        return (await self.post("/v1/basket/confirm", who, {"lines": list(basket)}))["results"]

    # the waiting room (docs/adr/0008): a confirmation admitted in arrival order, then its state
    async def submit_basket(self, who: Identity, request_id: str, basket: Basket) -> dict:
        """The basket's confirmation admitted under `request_id` (the same id again is the same request): its
        state, `status` done (with `results`), queued (with `position`, `eta_seconds` and `poll_seconds`) or failed (`problem`)."""
        return await self.post("/v1/basket/requests", who, {"id": request_id, "lines": list(basket)})

    async def basket_request(self, who: Identity, request_id: str) -> dict:
        """A confirmation's state, as `submit_basket` answers it; another family's is NotFound."""
        return await self.get(path("/v1/basket/requests/{}", request_id), who)

    async def follow_up(self, who: Identity, types: list[str], child_id: str | None = None,
                        activity_id: str | None = None, start: date | None = None, end: date | None = None) -> dict:
        rest = path("", child_id=child_id, activity_id=activity_id,
                    **{"from": start and start.isoformat(), "to": end and end.isoformat()})
        # the types always go, even none (then nothing is listed)
        return await self.get("/v1/follow-up?" + urlencode({"types": ",".join(types)})
                              + rest.replace("?", "&", 1), who)

    async def create_feed(self, who: Identity) -> str:
        """A new private calendar link's token (any former one stops working)."""
        return (await self.post("/v1/feed", who))["token"]

    async def revoke_feed(self, who: Identity) -> None:
        await self.call("DELETE", "/v1/feed", who)

    async def feed(self, token: str) -> bytes | None:
        """The family's calendar (iCal) behind a private link's token; None when the token is unknown."""
        async with self.download(path("/v1/feed/{}", token), ANONYMOUS_ID) as resp:
            return await resp.read() if resp.status == 200 else None

    # -- staff --------------------------------------------------------------------------------------------
    async def pending_requests(self, who: Identity, structure_id: str) -> list[dict]:
        return (await self.get(path("/v1/requests", structure_id=structure_id), who))["requests"]

    async def decide(self, who: Identity, booking_id: str, decision: str, reason: str | None) -> dict:
        return await self.post(path("/v1/requests/{}/decision", booking_id), who,
                               {"decision": decision, "reason": reason})

    async def activities(self, who: Identity, structure_id: str) -> list[dict]:
        return (await self.get(path("/v1/activities", structure_id=structure_id), who))["activities"]

    async def create_activity(self, who: Identity, activity: dict[str, Any]) -> dict:
        return await self.post("/v1/activities", who, activity)

    async def add_school_holidays(self, who: Identity, structure_id: str, period: dict) -> dict | None:
        return await self.post(path("/v1/structures/{}/school-holidays", structure_id), who, period)

    async def add_closure(self, who: Identity, structure_id: str, period: dict) -> dict | None:
        """The closure recorded; `booked_days_kept`: booked days it did not cancel."""
        return await self.post(path("/v1/structures/{}/closures", structure_id), who, period)

    async def sessions(self, who: Identity, activity_id: str, start: date, end: date) -> list[dict]:
        return (await self.get(path("/v1/sessions", activity_id=activity_id, **{"from": start.isoformat(),
                                                                                "to": end.isoformat()}),
                               who))["sessions"]

    async def open_sessions(self, who: Identity, activity_id: str, opening: dict) -> dict:
        return await self.post(path("/v1/activities/{}/openings", activity_id), who, opening)

    async def set_capacity(self, who: Identity, session_id: str, capacity: int | None) -> dict:
        return await self.call("PUT", path("/v1/sessions/{}/capacity", session_id), who,
                               json={"capacity": capacity})

    async def transmit(self, who: Identity) -> dict:
        return await self.post("/v1/transmissions", who)

    # -- staff: changing an activity, its enrolments ---------------------------------------------------------
    async def activity_settings(self, who: Identity, activity_id: str) -> dict:
        return await self.get(path("/v1/activities/{}", activity_id), who)

    async def change_activity(self, who: Identity, activity_id: str, settings: dict, apply: bool) -> list[str]:
        """What the change does to the days and bookings (French sentences); applied when `apply`."""
        if apply:
            answer = await self.call("PUT", path("/v1/activities/{}", activity_id), who, json=settings)
        else:
            answer = await self.post(path("/v1/activities/{}/preview", activity_id), who, settings)
        return answer["effects"]

    async def change_capacity(self, who: Identity, activity_id: str, change: dict, apply: bool) -> dict:
        """The places of a range of days: `sentences` (the preview), `changed`, `over`, `promoted`."""
        if apply:
            return await self.call("PUT", path("/v1/activities/{}/capacity", activity_id), who, json=change)
        return await self.post(path("/v1/activities/{}/capacity/preview", activity_id), who, change)

    async def enrolments(self, who: Identity, activity_id: str) -> dict:
        """The structure's children: `enrolled` in the activity and the `others`."""
        return await self.get(path("/v1/activities/{}/enrolments", activity_id), who)

    async def enrol(self, who: Identity, activity_id: str, child_ids: list[str]) -> int:
        return (await self.post(path("/v1/activities/{}/enrolments", activity_id), who,
                                {"child_ids": child_ids}))["enrolled"]

    async def unenrol(self, who: Identity, activity_id: str, child_id: str) -> None:
        await self.call("DELETE", path("/v1/activities/{}/enrolments/{}", activity_id, child_id), who)

    async def match_class_list(self, who: Identity, activity_id: str, text: str) -> list[dict]:
        """Each line of the list with the children it names (`status`: recognised, homonyms, unknown)."""
        return (await self.post(path("/v1/activities/{}/enrolments/match", activity_id), who,
                                {"text": text}))["lines"]

    # -- staff: rosters (listes de présence) ------------------------------------------------------------------
    async def roster(self, who: Identity, activity_id: str, day: date) -> dict:
        """An activity's day: the activity, whether it opens, its places and the children in three groups
        (expected, waiting list in order, requests waiting for a decision)."""
        return await self.get(path("/v1/roster", activity_id=activity_id, date=day.isoformat()), who)

    async def structure_day(self, who: Identity, structure_id: str, day: date) -> list[dict]:
        """Each activity of the structure on the day: opened, serves a meal, the expected children's ids,
        how many wait on the list or for a decision."""
        return (await self.get(path("/v1/roster/structure", structure_id=structure_id, date=day.isoformat()),
                               who))["activities"]

    # -- a family's page (staff) -------------------------------------------------------------------------
    async def family_month(self, who: Identity, family_id: str, month: str) -> list[dict]:
        """The family's bookings of the month in the caller's structures' activities."""
        return (await self.get(path("/v1/staff/families/{}/bookings", family_id, month=month), who))["bookings"]

    async def transmission_status(self, who: Identity, structure_id: str) -> dict:
        """The transmission's latest run and the structure's movements sent or waiting (its staff may see it)."""
        return await self.get(path("/v1/transmissions/status", structure_id=structure_id), who)

    # -- mass closures and declared absences (issue 19) ---------------------------------------------------------
    async def close_days(self, who: Identity, structure_id: str, closure: dict) -> dict:
        """Close the structure (or an activity) for a day or a range: `id`, `cancelled` bookings."""
        return await self.post(path("/v1/structures/{}/mass-closures", structure_id), who, closure)

    async def mass_closures(self, who: Identity, structure_id: str) -> list[dict]:
        return (await self.get(path("/v1/structures/{}/mass-closures", structure_id), who))["closures"]

    async def reopen(self, who: Identity, closure_id: str) -> None:
        await self.call("DELETE", path("/v1/mass-closures/{}", closure_id), who)

    async def declare_absence(self, who: Identity, absence: dict) -> dict:
        """The absence recorded: `id`, `days` (the booked days it covers)."""
        return await self.post("/v1/absences", who, absence)

    async def family_absences(self, who: Identity) -> list[dict]:
        return (await self.get("/v1/absences", who))["absences"]

    async def absence(self, who: Identity, absence_id: str) -> dict:
        return await self.get(path("/v1/absences/{}", absence_id), who)

    async def structure_absences(self, who: Identity, structure_id: str, status: str | None = None) -> list[dict]:
        return (await self.get(path("/v1/structures/{}/absences", structure_id, status=status), who))["absences"]

    async def answer_absence(self, who: Identity, absence_id: str, decision: str, reason: str | None) -> str:
        return (await self.post(path("/v1/absences/{}/decision", absence_id), who,
                                {"decision": decision, "reason": reason}))["status"]

    async def absence_waiting_days(self, who: Identity, structure_id: str) -> int:
        return (await self.get(path("/v1/structures/{}/absence-rule", structure_id), who))["waiting_days"]

    async def set_absence_waiting_days(self, who: Identity, structure_id: str, days: int) -> None:
        await self.call("PUT", path("/v1/structures/{}/absence-rule", structure_id), who, json={"waiting_days": days})
