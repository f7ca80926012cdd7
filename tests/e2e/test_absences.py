"""Declared absences on the real stack (issue 19): a family declares its child ill on days of last month,
long past the cancellation deadline, with a medical certificate kept by the dossier; staff of the structure
accept it (another commune's staff cannot); with a waiting period of one day, the first day stays charged and
the others, already invoiced, are credited; the follow-up, the consumptions and the next digest show it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import asyncpg
import pytest

from tests.conftest import eventually
from tests.e2e.test_bookings import Api, new_family
from tests.e2e.test_closures import CARTEVILLE, activity, signed_in_staff, tariff_known
from tests.portal import portal

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("absences")) as p:
        yield p


async def booked_last_month(site, activity_id: str, family: dict, child: str, days: list[date]) -> None:
    """Days of last month, booked then (the portal only books ahead: written as they would have been)."""
    conn = await asyncpg.connect(site.booking_db)
    try:
        for day in days:
            session = await conn.fetchval(
                "INSERT INTO sessions (id, activity_id, day, start_time, end_time) VALUES (gen_random_uuid(), $1, $2, "
                "'11:30', '13:30') ON CONFLICT (activity_id, day) DO UPDATE SET day = EXCLUDED.day RETURNING id",
                uuid.UUID(activity_id), day)
            booking = await conn.fetchval(
                "INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, status) VALUES "
                "(gen_random_uuid(), $1, $2, $3, $4, $5, 'accepted') RETURNING id", session, uuid.UUID(activity_id),
                uuid.UUID(child), uuid.UUID(family["family_id"]), day)
            await conn.execute("INSERT INTO movements (booking_id, family_id, kind, outcome) VALUES ($1, $2, "
                               "'reserve', 'accepted')", booking, uuid.UUID(family["family_id"]))
    finally:
        await conn.close()


async def upload_certificate(api: Api, child: str, content: bytes = PDF, expect: int = 201):
    async with api.http.post(f"{api.base}/api/v1/dossier/certificates", params={"child_id": child}, data=content,
                             headers={"X-CSRF-Token": api.csrf, "Content-Type": "application/octet-stream",
                                      "X-Filename": "certificat.pdf"}) as resp:
        body = await resp.json()
        assert resp.status == expect, body
        return body


async def test_absence_after_the_deadline_accepted_credited_and_shown(site):
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    canteen = await activity(staff, "Restauration scolaire")
    await tariff_known(site, canteen)
    assert (await staff.call("GET", f"/api/v1/booking/structures/{CARTEVILLE}/absence-rule"))["waiting_days"] == 1
    await staff.call("PUT", f"/api/v1/booking/structures/{CARTEVILLE}/absence-rule", {"waiting_days": 1})
    parent, family = await new_family(site, staff, children=1)
    other, other_family = await new_family(site, staff, children=1)
    child = family["children"][0]["id"]
    first = (date.today().replace(day=1) - timedelta(days=1)).replace(day=10)
    days = [first, first + timedelta(days=1), first + timedelta(days=2)]
    month_key = first.strftime("%Y-%m")
    await booked_last_month(site, canteen, family, child, days)
    await admin.call("POST", "/api/v1/booking/transmissions")

    async def charged():
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={month_key}")
        return data if len(data["lines"]) == 3 else None

    await eventually(charged)
    await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": month_key})
    [invoice] = (await parent.call("GET", "/api/v1/billing/invoices"))["invoices"]
    assert invoice["total"] == "9,00"

    # the certificate: the dossier's rules (a file that is not a PDF, JPEG or PNG is refused)
    refused = await upload_certificate(parent, child, b"not a pdf", expect=422)
    assert "PDF" in refused["detail"]
    await upload_certificate(other, child, expect=404)  # another family's child
    certificate = (await upload_certificate(parent, child))["id"]

    # parents declare for their own child's booked days only
    body = {"child_id": child, "start": days[0].isoformat(), "end": days[-1].isoformat(),
            "certificate_id": certificate}
    await other.call("POST", "/api/v1/booking/absences", body, expect=404)
    none = await parent.call("POST", "/api/v1/booking/absences", {
        **body, "start": (first - timedelta(days=5)).isoformat(), "end": (first - timedelta(days=4)).isoformat()},
        expect=422)
    assert "Aucun jour réservé" in none["detail"]
    declared = await parent.call("POST", "/api/v1/booking/absences", body, expect=201)
    assert declared["days"] == 3
    await parent.call("POST", "/api/v1/booking/absences", body, expect=422)  # the same days twice: nothing left
    [mine] = (await parent.call("GET", "/api/v1/booking/absences"))["absences"]
    assert (mine["status"], mine["status_label"]) == ("pending", "En attente de réponse")
    assert (await other.call("GET", "/api/v1/booking/absences"))["absences"] == []
    await other.call("GET", f"/api/v1/booking/absences/{declared['id']}", expect=404)
    follow = await parent.call("GET", f"/api/v1/booking/follow-up?child_id={child}&from={first}&to={days[-1]}")
    assert all("absence déclarée" in line["state"] for line in follow["lines"]), follow

    # another commune's staff neither see nor answer it, nor read the certificate
    other_structure = (await admin.call("POST", "/api/v1/structures", {"name": f"Commune B {uuid.uuid4().hex[:4]}"},
                                        expect=201))["id"]
    login_b = f"agent.b.{uuid.uuid4().hex[:6]}"
    created_b = await admin.call("POST", "/api/v1/staff", {"login": login_b, "display_name": "Agent B",
                                                           "email": f"{login_b}@example.fr",
                                                           "structure_ids": [other_structure]}, expect=201)
    staff_b = await signed_in_staff(site, login_b, created_b["initial_password"])
    await staff_b.call("POST", f"/api/v1/booking/absences/{declared['id']}/decision", {"decision": "accept"},
                       expect=404)
    await staff_b.call("GET", f"/api/v1/booking/structures/{CARTEVILLE}/absences", expect=403)
    async with staff_b.http.get(f"{site.url}/api/v1/dossier/certificates/{certificate}") as resp:
        assert resp.status == 404
    async with other.http.get(f"{site.url}/api/v1/dossier/certificates/{certificate}") as resp:
        assert resp.status == 404

    # staff of CarteVille read the certificate and answer: a refusal needs a reason
    listed = await staff.call("GET", f"/api/v1/booking/structures/{CARTEVILLE}/absences?status=pending")
    assert [a["id"] for a in listed["absences"]] == [declared["id"]]
    async with staff.http.get(f"{site.url}/api/v1/dossier/certificates/{certificate}",
                              params={"family_id": family["family_id"]}) as resp:
        assert resp.status == 200 and await resp.read() == PDF
    async with staff.http.get(f"{site.url}/api/v1/dossier/certificates/{certificate}",
                              params={"family_id": other_family["family_id"]}) as resp:
        assert resp.status == 404  # not the certificate of that family's absence
    no_reason = await staff.call("POST", f"/api/v1/booking/absences/{declared['id']}/decision",
                                 {"decision": "refuse"}, expect=422)
    assert "motif" in no_reason["detail"]
    answered = await staff.call("POST", f"/api/v1/booking/absences/{declared['id']}/decision", {"decision": "accept"})
    assert answered["status"] == "accepted"
    await staff.call("POST", f"/api/v1/booking/absences/{declared['id']}/decision", {"decision": "accept"},
                     expect=409)

    # billing: the first day stays charged (waiting period), the two others, invoiced, are credited
    async def credited():
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={month_key}")
        return data if len(data["lines"]) == 5 else None

    data = await eventually(credited)
    assert sorted(line["total"] for line in data["lines"]) == ["-3,00", "-3,00", "3,00", "3,00", "3,00"]
    assert data["total"] == "3,00"
    assert sorted((a["date"], a["charged"]) for a in data["absences"]) == [
        (days[0].isoformat(), True), (days[1].isoformat(), False), (days[2].isoformat(), False)]

    # the follow-up
    follow = await parent.call("GET", f"/api/v1/booking/follow-up?child_id={child}&from={first}&to={days[-1]}")
    states = {line["date"]: line["state"] for line in follow["lines"]}
    assert states[days[0].isoformat()].endswith("absence justifiée (délai de carence : facturée)")
    assert states[days[1].isoformat()].endswith(", absence justifiée")
    assert [line["cost"] for line in follow["lines"]][1:] == ["0,00", "0,00"]

    # the next digest
    address = f"{family['identifiant'].lower()}@example.fr"

    async def digest():
        await admin.call("POST", "/api/v1/notify/digests")
        return [m for m in site.catcher.messages if address in m.to and "ABSENCES JUSTIFIEES" in m.text]

    [mail] = await eventually(digest, timeout=30, interval=0.5)
    assert "3 jours d'absence justifiée" in mail.text
    assert f"{days[0]:%d/%m} (facturé : délai de carence)" in mail.text
    for api in (staff, admin, parent, other, staff_b):
        await api.close()
