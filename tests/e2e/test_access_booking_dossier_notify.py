"""Trust boundaries on the real stack (issue 13): staff enrol only children of their structure's
families, read no draft sheet, see only their structures' mail deliveries; document names are sealed;
the archive and downloads are streamed; the public exchange carries no reason and no child's name."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import aio_pika
import asyncpg
import pytest

from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_bookings import Api
from tests.portal import portal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
REVEALING_NAME = "ordonnance asthme Noé.pdf"
HEALTH_REASON = "L'asthme de Noé doit être décrit avec son traitement."
FAMILY_DATA = {"birth_date": "1985-04-02", "address": "3 rue des Écoles", "postal_code": "33340", "city": "CarteVille",
               "phone_mobile": "06 12 34 56 78", "email": "famille@example.fr", "allocataire_regime": "CAF",
               "allocataire_number": "1234567", "family_quotient": 642, "profession": "Infirmière",
               "employer": "CHU"}
HEALTH = {"vaccinated": True, "vaccinations": [{"name": "DT Polio", "last_date": "2024-03-01"}],
          "allergies": "Pollen", "pai": False, "treatment": "Ventoline", "doctor_name": "Dr Lune"}


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("access")) as p:
        yield p


async def family_in(site, creator: Api, structure_id, first_name: str) -> tuple[Api, dict]:
    """A family of one child in `structure_id`, signed in through the API (password renewed, CGU)."""
    identifiant = f"ACC-{uuid.uuid4().hex[:8]}"
    created = await creator.call("POST", "/api/v1/families", {
        "identifiant": identifiant, "responsable": {"first_name": "Inès", "last_name": "MOREAU"},
        "emails": [f"{identifiant.lower()}@example.fr"], "structure_id": str(structure_id),
        "children": [{"first_name": first_name, "last_name": "MOREAU", "birth_date": "2018-05-06"}],
        "initial_password": "Initial-Pass-2026"}, expect=201)
    b = site.browser()
    await b.login(identifiant, "Initial-Pass-2026")
    await b.post("/mise-a-jour-securite", {"nouveau": "Goûter-Mercredi-2027", "confirmation": "Goûter-Mercredi-2027"})
    await b.get("/consentements")
    await b.post("/consentements", {"accepte_rgpd": "oui", "accepte_cgu": "oui"})
    parent = Api(site.url)
    await parent.login(identifiant, "Goûter-Mercredi-2027")
    return parent, {"family_id": created["family_id"], "identifiant": identifiant,
                    "address": f"{identifiant.lower()}@example.fr"}


async def query(dsn: str, sql: str, *args):
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def child_of(site, family_id: str) -> str:
    async def known():
        rows = await query(site.booking_db, "SELECT id FROM children WHERE family_id = $1", uuid.UUID(family_id))
        return str(rows[0]["id"]) if rows else None

    return await eventually(known)


async def dossier_of(parent: Api) -> dict:
    async def ready():
        data = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
        return data if isinstance(data, dict) and len(data.get("sheets", [])) == 6 else None

    return await eventually(ready)


def sheet(dossier: dict, kind: str) -> dict:
    return next(s for s in dossier["sheets"] if s["kind"] == kind)


async def upload(api: Api, sheet_id: str, kind: str, content: bytes, name: str) -> dict:
    async with api.http.post(f"{api.base}/api/v1/dossier/sheets/{sheet_id}/documents?kind={kind}", data=content,
                             headers={"X-CSRF-Token": api.csrf, "X-Filename": name,
                                      "Content-Type": "application/octet-stream"}) as resp:
        assert resp.status == 201, await resp.text()
        return await resp.json()


async def test_staff_enrol_only_children_of_their_structures_families(site):
    staff, admin = Api(site.url), Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    await admin.login("admin.portail", "Demo-Admin-2027")
    activity = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": str(demo.DEMO_STRUCTURE_ID), "name": f"Atelier {uuid.uuid4().hex[:4]}",
        "start_time": "16:30", "end_time": "18:00", "enrolment_required": True}, expect=201))["id"]
    _, here = await family_in(site, staff, demo.DEMO_STRUCTURE_ID, "Noé")
    _, there = await family_in(site, admin, demo.DEMO_SECOND_STRUCTURE_ID, "Jade")
    ours, theirs = await child_of(site, here["family_id"]), await child_of(site, there["family_id"])

    refused = await staff.call("POST", "/api/v1/booking/enrolments", {"child_id": theirs, "activity_id": activity},
                               expect=422)
    assert "n'appartient pas à une famille de la structure" in refused["detail"]
    unknown = await staff.call("POST", "/api/v1/booking/enrolments",
                               {"child_id": str(uuid.uuid4()), "activity_id": activity}, expect=404)
    assert unknown["detail"] == "Enfant introuvable."
    await staff.call("POST", "/api/v1/booking/enrolments", {"child_id": ours, "activity_id": activity}, expect=204)
    # not even an administrator enrols a child of another structure's family
    await admin.call("POST", "/api/v1/booking/enrolments", {"child_id": theirs, "activity_id": activity},
                     expect=422)
    enrolled = await query(site.booking_db, "SELECT child_id FROM enrolments WHERE activity_id = $1",
                           uuid.UUID(activity))
    assert [str(r["child_id"]) for r in enrolled] == [ours]
    for api in (staff, admin):
        await api.close()


async def test_drafts_deliveries_sealed_names_streamed_archive_and_public_events(site, amqp_url):
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    public = await channel.declare_queue(exclusive=True)
    await public.bind(await channel.get_exchange("portail.events"), routing_key="#")
    staff, admin = Api(site.url), Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    await admin.login("admin.portail", "Demo-Admin-2027")
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    parent, here = await family_in(site, staff, demo.DEMO_STRUCTURE_ID, "Noé")
    other, there = await family_in(site, admin, demo.DEMO_SECOND_STRUCTURE_ID, "Jade")
    mine, theirs = await dossier_of(parent), await dossier_of(other)
    health = sheet(mine, "sanitaire")

    # a health sheet in draft is the family's: staff (and admin) do not see it, and no read is audited
    await parent.call("PUT", f"/api/v1/dossier/sheets/{health['id']}/draft", {"data": HEALTH})
    for api in (staff, admin):
        hidden = await api.call("GET", f"/api/v1/dossier/staff/sheets/{health['id']}", expect=404)
        assert "Ventoline" not in json.dumps(hidden)
    await staff.call("POST", f"/api/v1/dossier/staff/sheets/{health['id']}/review", {"decision": "approved"},
                     expect=404)
    child = health["child_id"]
    assert (await admin.call("GET", f"/api/v1/dossier/audit?child_id={child}"))["reads"] == []

    # its documents: names sealed at rest, the right name on download; a draft's documents hidden from staff
    carnet = await upload(parent, health["id"], "carnet_vaccination", PDF, "carnet.pdf")
    prescription = await upload(parent, health["id"], "ordonnance", PNG, REVEALING_NAME)
    await staff.call("GET", f"/api/v1/dossier/documents/{prescription['id']}", expect=404)
    rows = await query(site.dossier_db, "SELECT display_name, name_sealed FROM documents WHERE id = $1",
                       uuid.UUID(prescription["id"]))
    assert rows[0]["display_name"] is None and b"asthme" not in bytes(rows[0]["name_sealed"])
    listed = await parent.call("GET", f"/api/v1/dossier/sheets/{health['id']}")
    assert REVEALING_NAME.replace(" ", " ") in {d["name"] for d in listed["documents"]}
    async with parent.http.get(f"{site.url}/dossier/pieces/{prescription['id']}") as resp:
        assert resp.status == 200 and await resp.read() == PNG
        assert "ordonnance%20asthme%20No%C3%A9.pdf" in resp.headers["Content-Disposition"]

    # transmitted: staff read it (audited), and refuse it with a reason that is health data
    await parent.call("POST", f"/api/v1/dossier/sheets/{health['id']}/submit", {"data": HEALTH})
    read = await staff.call("GET", f"/api/v1/dossier/staff/sheets/{health['id']}")
    assert read["data"]["treatment"] == "Ventoline" and {d["name"] for d in read["documents"]} >= {REVEALING_NAME}
    async with staff.http.get(f"{site.url}/api/v1/dossier/documents/{carnet['id']}") as resp:
        assert resp.status == 200 and await resp.read() == PDF
    reads = (await admin.call("GET", f"/api/v1/dossier/audit?child_id={child}"))["reads"]
    assert len(reads) == 2  # the sheet and the health document
    await staff.call("POST", f"/api/v1/dossier/staff/sheets/{health['id']}/review",
                     {"decision": "refused", "reason": HEALTH_REASON})

    async def mail(address, subject):
        found = [m for m in site.catcher.messages if address in m.to and m.subject == subject]
        return found[-1] if found else None

    refusal = await eventually(lambda: mail(here["address"], "Portail Famille : votre fiche doit être complétée"))
    assert HEALTH_REASON in refusal.text and "Noé" in refusal.text

    # the family's own sheet (no child, so no single structure): its mail is logged without a structure
    famille = sheet(mine, "famille")
    await upload(parent, famille["id"], "justificatif_qf", PDF, "avis CAF.pdf")
    await parent.call("POST", f"/api/v1/dossier/sheets/{famille['id']}/submit", {"data": FAMILY_DATA})
    await staff.call("POST", f"/api/v1/dossier/staff/sheets/{famille['id']}/review", {"decision": "approved"})
    await eventually(lambda: mail(here["address"], "Portail Famille : votre fiche a été validée"))

    # the other structure's family: its sheet reviewed by an administrator
    rules = sheet(theirs, "reglement")
    await other.call("POST", f"/api/v1/dossier/sheets/{rules['id']}/submit", {"data": {
        "acknowledged": True, "signer_name": "Inès MOREAU", "place": "Le Bourg", "signed_on": "2026-11-29",
        "signed_at": "14:30"}})
    await staff.call("POST", f"/api/v1/dossier/staff/sheets/{rules['id']}/review", {"decision": "approved"},
                     expect=404)
    await admin.call("POST", f"/api/v1/dossier/staff/sheets/{rules['id']}/review", {"decision": "approved"})
    await eventually(lambda: mail(there["address"], "Portail Famille : votre fiche a été validée"))

    # the delivery log: staff see their structure's mails only, administrators every mail
    async def logged(api):
        data = await api.call("GET", "/api/v1/notify/deliveries?status=sent")
        return data["deliveries"]

    async def admin_sees_both():
        found = {d["family_id"] for d in await logged(admin)}
        return found >= {here["family_id"], there["family_id"]}

    await eventually(admin_sees_both)
    seen = await logged(staff)
    assert here["family_id"] in {d["family_id"] for d in seen}
    assert there["family_id"] not in {d["family_id"] for d in seen}
    assert {d["structure_id"] for d in seen} == {str(demo.DEMO_STRUCTURE_ID)}  # none without a structure
    assert any(d["structure_id"] is None and d["family_id"] == here["family_id"] for d in await logged(admin))
    await parent.call("GET", "/api/v1/notify/deliveries?status=sent", expect=403)

    # the archive, streamed (chunked) through the gateway, is a valid zip with every file
    for path in ("/api/v1/dossier/archive", "/dossier/archive"):
        async with parent.http.get(site.url + path) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "application/zip"
            assert resp.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in resp.headers
            archive = zipfile.ZipFile(io.BytesIO(await resp.read()))
        assert archive.testzip() is None
        pieces = sorted(n for n in archive.namelist() if n.startswith("pieces/"))
        assert len(pieces) == 3 and any(n.endswith("ordonnance_asthme_Noe.pdf") for n in pieces)
        assert PNG in {archive.read(n) for n in pieces} and PDF in {archive.read(n) for n in pieces}
        assert any("Ventoline" in archive.read(n).decode() for n in archive.namelist() if n.startswith("fiches/"))

    # nothing public names a child or carries the reason
    events = []

    async def reviewed_seen():
        while (message := await public.get(fail=False, no_ack=True)) is not None:
            events.append(json.loads(message.body))
        return [e for e in events if e["type"] == "dossier.sheet_reviewed"
                and e["payload"]["sheet_id"] == health["id"]]

    [reviewed] = await eventually(reviewed_seen)
    await connection.close()
    assert reviewed["version"] == 2 and reviewed["payload"]["decision"] == "refused"
    assert reviewed["payload"]["structure_id"] == str(demo.DEMO_STRUCTURE_ID)
    text = json.dumps(events, ensure_ascii=False)
    for secret in ("asthme", "Noé", "Jade", "MOREAU", "2018-05-06", "Ventoline", here["identifiant"]):
        assert secret not in text, secret
    assert any(e["type"] == "auth.family_changed" and e["version"] == 2 for e in events)
    for api in (staff, admin, parent, other):
        await api.close()
