"""The automatic reminders on the real stack (issue 19): a holiday period of the structure whose deadline is in
a few days, an activity open in it with two families' children enrolled; one family turns reminders off in
its profile; booking's job run twice mails the other family once, the one that opted out never; likewise the
reminder before the dossier campaign closes (dossier's job run twice, one mail, the staff reminder's mail
told the closing day). Dates are taken from today (Paris): any day."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import pytest

from kit.clock import paris_today
from services.auth import demo
from services.booking.service import reminders as booking_reminders
from services.booking.store import Database
from services.dossier.service import OUTBOX as DOSSIER_OUTBOX
from services.dossier.service import closing
from services.dossier.store import Store as DossierStore
from tests.conftest import eventually
from tests.e2e.test_bookings import Api, new_family
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
FAMILY_PASSWORD = "Cantine-Mercredi-2027"  # what new_family leaves the family with


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("reminders")) as p:
        yield p


def address(family: dict) -> str:
    return f"{family['identifiant'].lower()}@example.fr"


def mails(site, family: dict, subject: str) -> list:
    return [m for m in site.catcher.messages if address(family) in m.to and subject in m.subject]


async def first_mail(site, family: dict, subject: str):
    async def arrived():
        return mails(site, family, subject) or None

    return (await eventually(arrived))[0]


async def opted_out(site, family: dict) -> None:
    """The family unticks « Recevoir les rappels par courriel » in its profile."""
    browser = site.browser()
    await browser.login(family["identifiant"], FAMILY_PASSWORD)
    page = await browser.get("/profil")
    assert "<h2>Rappels par courriel</h2>" in page.text and 'value="oui" checked' in page.text
    saved = await browser.post("/profil/rappels", {}, follow=False)
    assert saved.status == 303 and saved.location == "/profil?fait=rappels"
    page = await browser.get("/profil?fait=rappels")
    assert "Votre choix pour les rappels a bien été enregistré" in page.text


async def consumed(site, event_type: str, count: int) -> None:
    """Wait until notify has taken in ``count`` events of the type (both runs' events: nothing more to come)."""
    conn = await asyncpg.connect(site.auth_db.removesuffix("auth") + "notify")  # the portal's own databases
    try:
        async def all_in():
            return await conn.fetchval("SELECT count(*) FROM inbox WHERE event_type = $1", event_type) >= count

        await eventually(all_in)
    finally:
        await conn.close()


async def test_a_booking_reminder_is_sent_once_and_not_to_a_family_that_opted_out(site):
    today = paris_today()
    start, tag = today + dt.timedelta(days=3), uuid.uuid4().hex[:4]
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    desk = site.browser()
    await desk.login("agent.carteville", "Demo-Agent-2027")
    await desk.get("/gestion/activites")
    holidays = await desk.post("/gestion/vacances", {
        "vacances_debut": start.isoformat(), "vacances_fin": (start + dt.timedelta(days=4)).isoformat(),
        "vacances_libelle": f"Vacances {tag}"}, follow=False)
    assert holidays.status == 303, holidays.text[:300]
    # booking closes at 23:00 on the day itself: the period's deadline is three or four days away
    activity = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": f"ALSH VACANCES {tag}", "start_time": "09:00", "end_time": "17:00",
        "booking_deadline": {"days_before": 0, "working_days": False, "at": "23:00"}}, expect=201))["id"]
    opened = await staff.call("POST", f"/api/v1/booking/activities/{activity}/openings", {
        "period": "holidays", "start": start.isoformat(), "end": (start + dt.timedelta(days=4)).isoformat(),
        "weekdays": [0, 1, 2, 3, 4, 5, 6]}, expect=201)
    assert opened["created"] > 0
    (_, reminded), (_, quiet), (_, unenrolled) = [await new_family(site, staff, children=1) for _ in range(3)]
    for family in (reminded, quiet):
        await staff.call("POST", "/api/v1/booking/enrolments", {
            "child_id": family["children"][0]["id"], "activity_id": activity}, expect=204)
    await opted_out(site, quiet)

    pool = await asyncpg.create_pool(site.booking_db, min_size=1, max_size=2)
    try:
        for _ in range(2):  # the CronJob run twice (booking does not know who opted out: notify does)
            report = await booking_reminders.run(Database(pool), 7)
            assert report.reminders == 2
    finally:
        await pool.close()
    subject = f"pensez à réserver ALSH VACANCES {tag}"
    mail = await first_mail(site, reminded, subject)
    assert f"Vacances {tag}" in mail.text and "23:00" in mail.text and "désactivez-les" in mail.text.lower()
    await consumed(site, "booking.reminder_due", 4)  # both runs' events for both families: one mail
    await desk.get("/gestion")
    assert len(mails(site, reminded, subject)) == 1
    assert mails(site, quiet, subject) == [] and mails(site, unenrolled, subject) == []
    await staff.close()


async def test_the_dossier_reminder_before_the_campaign_closes_is_sent_once(site):
    today = paris_today()
    school_year = f"{today.year}-{today.year + 1}" if today.month >= 8 else f"{today.year - 1}-{today.year}"
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": school_year}, expect=None)
    closes_on = today + dt.timedelta(days=3)
    # the administrator sets the closing day on the « Campagne » page; staff read it there
    manager = site.browser()
    await manager.login("admin.portail", "Demo-Admin-2027")
    page = await manager.get("/gestion/campagne")
    assert "Aucune date de clôture n'est fixée" in page.text, page.text[:500]
    saved = await manager.post("/gestion/campagne/cloture", {"annee": school_year, "cloture": closes_on.isoformat()},
                               follow=False)
    assert saved.status == 303 and saved.location == "/gestion/campagne?fait=cloture"
    desk = site.browser()
    await desk.login("agent.carteville", "Demo-Agent-2027")
    page = await desk.get("/gestion/campagne")
    assert f"se termine le <strong>{closes_on:%d/%m/%Y}</strong>" in page.text and 'name="cloture"' not in page.text
    await admin.call("PUT", f"/api/v1/dossier/campaigns/{school_year}/closing", {"closes_on": "1999-01-01"},
                     expect=400)
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    (reminded_api, reminded), (_, quiet) = [await new_family(site, staff, children=1) for _ in range(2)]
    assert (await reminded_api.call("GET", "/api/v1/notify/reminders"))["receive"] is True
    await opted_out(site, quiet)

    async def in_dossier():  # auth's event has reached dossier
        conn = await asyncpg.connect(site.dossier_db)
        try:
            return await conn.fetchval("SELECT count(*) FROM families WHERE id = ANY($1::uuid[])",
                                       [uuid.UUID(reminded["family_id"]), uuid.UUID(quiet["family_id"])]) == 2
        finally:
            await conn.close()

    await eventually(in_dossier)
    pool = await asyncpg.create_pool(site.dossier_db, min_size=1, max_size=2)
    try:
        for _ in range(2):
            report = await closing.run(DossierStore(pool, None), DOSSIER_OUTBOX, 7)
            assert report.school_year == school_year and report.reminders >= 2
    finally:
        await pool.close()
    subject = f"votre dossier famille {school_year} est à compléter"
    mail = await first_mail(site, reminded, subject)
    assert "n'est pas complet" in mail.text and "la campagne de dossiers se termine le" in mail.text
    await consumed(site, "dossier.closing_reminder", 4)
    assert len(mails(site, reminded, subject)) == 1 and mails(site, quiet, subject) == []
    for api in (admin, staff, reminded_api):
        await api.close()
