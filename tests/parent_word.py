"""Helpers shared by issue 16's tests (tests/e2e/test_parent_word.py through the API,
tests/browser/test_parent_word_pages.py in Chromium): a canteen priced by quotient familial and a course
that needs staff's answer, the follow-up read as lines, a change of quotient awaited on both sides."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, timedelta

import asyncpg

from contracts.dossier import DossierFamilyUpdatedV1
from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_billing import publish
from tests.e2e.test_bookings import MONTH, MONTH_END, Api

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)


async def quotient_priced_activities(site, staff: Api) -> dict[str, str]:
    """A canteen priced by quotient (the guide's: 2,50 / 2,10 up to QF 700, 3,59 / 2,98 above, from the
    second child) and a course that needs staff's answer, open every weekday of the month two months ahead.
    Returns their ids ("cantine", "stage") once booking has its copy of the tariffs."""
    tag = uuid.uuid4().hex[:4]
    ids = {}
    for key, name, start, end, extra in (("cantine", "Restauration scolaire", "11:30", "13:30", {}),
                                         ("stage", "Stage sur demande", "14:00", "16:00", {"needs_approval": True})):
        ids[key] = (await staff.call("POST", "/api/v1/booking/activities", {
            "structure_id": CARTEVILLE, "name": f"{name} {tag}", "start_time": start, "end_time": end, **extra},
            expect=201))["id"]
        await staff.call("POST", "/api/v1/billing/tariffs", {
            "structure_id": CARTEVILLE, "activity_id": ids[key], "activity_name": key.upper(),
            "effective_from": "2020-01-01", "unit": "session", "reduced_from_rank": 2,
            "brackets": [{"qf_max": 700, "price_cents": 250, "reduced_price_cents": 210},
                         {"qf_max": None, "price_cents": 359, "reduced_price_cents": 298}]}, expect=201)
    conn = await asyncpg.connect(site.booking_db)
    try:
        async def copied():
            return await conn.fetchval("SELECT count(*) FROM tariffs WHERE activity_id = ANY($1::uuid[])",
                                       [uuid.UUID(i) for i in ids.values()]) == 2

        await eventually(copied)
    finally:
        await conn.close()
    for activity_id in ids.values():
        await staff.call("POST", f"/api/v1/booking/activities/{activity_id}/openings", {
            "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat(), "weekdays": [0, 1, 2, 3, 4]},
            expect=201)
    return ids


async def follow_lines(parent: Api, child_id: str) -> dict[str, dict]:
    """The child's follow-up lines by date (YYYY-MM-DD)."""
    follow = await parent.call("GET", f"/api/v1/booking/follow-up?child_id={child_id}")
    return {line["date"]: line for line in follow["lines"]}


async def quotient(site, amqp_url, parent: Api, family_id: str, value: int, child: str, activity: str, day: str,
                   cost: str) -> None:
    """dossier says the family's quotient changed; wait until the recap of `day` costs `cost` (booking knows)
    and billing's copy holds `value`."""
    await publish(amqp_url, DossierFamilyUpdatedV1(family_id=family_id, family_quotient=value,
                                                   updated_at=dt.datetime.now(dt.UTC)))

    async def known():
        recap = await parent.call("POST", "/api/v1/booking/basket/recap", {"lines": [
            {"child_id": child, "activity_id": activity, "date": day, "action": "reserve"}]})
        return recap["reservations"][0]["cost"] == cost or None

    await eventually(known)
    billing = await asyncpg.connect(site.billing_db)
    try:
        async def billed_knows():
            return await billing.fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1",
                                          uuid.UUID(family_id)) == value or None

        await eventually(billed_knows)
    finally:
        await billing.close()


def last_month(today: date) -> date:
    """The first day of the month before `today`'s."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
