"""Shared custody (garde alternée, issue 19) on the real stack: staff make a second family a child's second
household from the family page (by its identifiant); each household books its own days and sees the other's
as "Réservé par l'autre foyer" without details; neither can book or cancel the other's day, and the same day
booked at once by both is recorded once; the night transmits each household's own days and billing charges
each household for its own; staff of another commune cannot link anything."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest

from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_bookings import MONTH, MONTH_END, MONTH_KEY, Api, new_family, open_days
from tests.e2e.test_staff_families import STAFF, other_structure_staff, staff_browser
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("shared_custody")) as p:
        yield p


async def canteen(site, staff: Api) -> str:
    """A canteen at 3,00 € open every weekday of the month booked."""
    activity_id = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": f"Cantine garde {uuid.uuid4().hex[:4]}", "start_time": "11:30",
        "end_time": "13:30"}, expect=201))["id"]
    await staff.call("POST", "/api/v1/billing/tariffs", {
        "structure_id": CARTEVILLE, "activity_id": activity_id, "activity_name": "CANTINE GARDE",
        "effective_from": "2020-01-01", "unit": "session", "brackets": [{"qf_max": None, "price_cents": 300}]},
        expect=201)
    await staff.call("POST", f"/api/v1/booking/activities/{activity_id}/openings", {
        "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat(), "weekdays": [0, 1, 2, 3, 4]},
        expect=201)
    return activity_id


async def calendar(parent: Api, child_id: str, activity_id: str) -> dict[str, dict]:
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": child_id, "month": MONTH_KEY, "activity_id": activity_id})
    return {d["date"]: d for d in cal["days"]}


async def confirm(parent: Api, child_id: str, activity_id: str, day: str, action: str = "reserve") -> dict:
    [result] = (await parent.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child_id, "activity_id": activity_id, "date": day, "action": action}]}))["results"]
    return result


async def test_a_child_in_shared_custody_booked_and_billed_by_two_households(site):
    staff = Api(site.url)
    await staff.login(*STAFF)
    activity_id = await canteen(site, staff)
    first, a = await new_family(site, staff, children=1)
    second, b = await new_family(site, staff, children=1)
    child = a["children"][0]["id"]

    # staff link the child to the second household from the family page, by its identifiant
    pages = await staff_browser(site, *STAFF)
    page = await pages.post(f"/gestion/familles/{a['family_id']}/enfants/{child}/second-foyer",
                            {"identifiant": b["identifiant"]})
    assert page.status == 200 and "rattaché au second foyer" in page.text, page.text[:500]
    assert f"Aussi rattaché au foyer <a href=\"/gestion/familles/{b['family_id']}\">{b['identifiant']}</a>" in page.text
    page = await pages.get(f"/gestion/familles/{b['family_id']}")
    assert a["identifiant"] in page.text  # staff see both households
    # an unknown household, or linking again elsewhere, is refused with a French message
    page = await pages.post(f"/gestion/familles/{a['family_id']}/enfants/{child}/second-foyer",
                            {"identifiant": "INCONNU-0000"})
    assert page.status == 422 and "Aucune famille « INCONNU-0000 » dans vos structures." in page.text
    # staff of another commune: the family and its child do not exist for them
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    _, stranger = await other_structure_staff(site, admin)
    page = await stranger.post(f"/gestion/familles/{a['family_id']}/enfants/{child}/second-foyer",
                               {"identifiant": b["identifiant"]})
    assert page.status == 404

    async def shared_known():
        kids = (await second.call("GET", "/api/v1/booking/children"))["children"]
        return kids if child in {k["id"] for k in kids} else None

    await eventually(shared_known)

    # dossier: the child's sheets are shared (the same sheets, which either household fills), the family
    # sheets are each household's own
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)

    async def dossier(parent: Api):
        data = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
        return data if isinstance(data, dict) and any(s["child_id"] == child for s in data.get("sheets", [])) else None

    dossier_a, dossier_b = await eventually(lambda: dossier(first)), await eventually(lambda: dossier(second))
    child_sheets = {s["id"] for s in dossier_a["sheets"] if s["child_id"] == child}
    assert child_sheets and child_sheets == {s["id"] for s in dossier_b["sheets"] if s["child_id"] == child}
    own_a = {s["id"] for s in dossier_a["sheets"] if s["child_id"] is None}
    own_b = {s["id"] for s in dossier_b["sheets"] if s["child_id"] is None}
    assert own_a and own_b and not own_a & own_b
    shared = next(s for s in dossier_b["sheets"] if s["child_id"] == child and s["kind"] == "autorisations")
    saved = await second.call("PUT", f"/api/v1/dossier/sheets/{shared['id']}/draft", {"data": {}})
    assert saved["state_label"] == "Brouillon"
    assert (await first.call("GET", f"/api/v1/dossier/sheets/{shared['id']}"))["state_label"] == "Brouillon"
    for sheet_id in own_a:  # household B never reaches household A's own family sheets
        await second.call("GET", f"/api/v1/dossier/sheets/{sheet_id}", expect=404)

    days = open_days({"days": list((await calendar(first, child, activity_id)).values())})
    day_a, day_b, day_both = days[0], days[1], days[2]
    assert (await confirm(first, child, activity_id, day_a))["outcome"] == "accepted"
    assert (await confirm(second, child, activity_id, day_b))["outcome"] == "accepted"

    # each household sees the other's day as taken, without details, and its own as booked
    seen_by_a, seen_by_b = await calendar(first, child, activity_id), await calendar(second, child, activity_id)
    assert seen_by_a[day_a]["symbol"] == "📅" and seen_by_b[day_b]["symbol"] == "📅"
    for seen, day in ((seen_by_a, day_b), (seen_by_b, day_a)):
        assert seen[day]["state"] == "other_household" and seen[day]["label"] == "Réservé par l'autre foyer"
        assert seen[day]["actions"] == []
    # neither can book nor cancel the other's day
    refused = await confirm(second, child, activity_id, day_a)
    assert refused["outcome"] == "rejected" and refused["reason"] == "réservé par l'autre foyer"
    refused = await confirm(second, child, activity_id, day_a, "cancel")
    assert refused["outcome"] == "rejected"
    # the same day booked at once by both households: one booking, the other refused (as two tabs)
    both = await asyncio.gather(confirm(first, child, activity_id, day_both),
                                confirm(second, child, activity_id, day_both))
    assert sorted(r["outcome"] for r in both) == ["accepted", "rejected"]
    winner = first if both[0]["outcome"] == "accepted" else second
    a_days = {day_a} | ({day_both} if winner is first else set())
    b_days = {day_b} | ({day_both} if winner is second else set())
    # each household follows only its own bookings
    for parent, own in ((first, a_days), (second, b_days)):
        follow = await parent.call("GET", "/api/v1/booking/follow-up")
        assert len([line for line in follow["lines"] if line["child_id"] == child]) == len(own)

    # the night transmits each household's own days; billing charges each for its own
    await admin.call("POST", "/api/v1/booking/transmissions")

    async def billed(parent: Api, count: int):
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={MONTH_KEY}")
        mine = [line for line in data["lines"] if line["first_name"] == "Léo"]
        return data if len(mine) == count else None

    for parent, own in ((first, a_days), (second, b_days)):
        data = await eventually(lambda parent=parent, own=own: billed(parent, len(own)), timeout=30)
        assert {line["unit_price"] for line in data["lines"] if line["first_name"] == "Léo"} == {"3,00"}
        assert len([line for line in data["lines"] if line["first_name"] == "Léo"]) == len(own)
    # each household's digest tells its own days only
    async def digest(household: dict):
        await admin.call("POST", "/api/v1/notify/digests")
        address = f"{household['identifiant'].lower()}@example.fr"
        return [m for m in site.catcher.messages if address in m.to and m.subject.startswith("Compte-rendu")]

    for household, own, other in ((a, a_days, b_days), (b, b_days, a_days)):
        [mail] = await eventually(lambda household=household: digest(household), timeout=30, interval=0.5)
        assert all(date.fromisoformat(d).strftime("%d/%m") in mail.text for d in own)
        assert not any(date.fromisoformat(d).strftime("%d/%m") in mail.text for d in other)
    for api in (staff, admin, first, second):
        await api.close()
