"""The family dossier on the real stack: a campaign for a family of two children (draft, submit,
refuse with a reason, correct, approve) with the mails it triggers, contacts and their deletion rule,
a new insurer, every upload limit, health data sealed and its reads audited, other structures and
families refused, and no health data on the public exchange."""

from __future__ import annotations

import io
import uuid
import zipfile

import aio_pika
import asyncpg
import pytest

from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_bookings import Api, new_family
from tests.portal import portal

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SECRET_ALLERGY = "Allergie sévère aux arachides — stylo adrénaline"


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("dossier")) as p:
        yield p


async def upload(api: Api, sheet_id: str, kind: str, content: bytes, name: str, expect: int | None = 201):
    async with api.http.post(f"{api.base}/api/v1/dossier/sheets/{sheet_id}/documents?kind={kind}", data=content,
                             headers={"X-CSRF-Token": api.csrf, "X-Filename": name,
                                      "Content-Type": "application/octet-stream"}) as resp:
        body = await resp.json()
        if expect is not None:
            assert resp.status == expect, body
        return body


def find(dossier: dict, kind: str, child: str | None = None) -> dict:
    return next(s for s in dossier["sheets"] if s["kind"] == kind and (child is None or s["child_id"] == child))


FAMILY_DATA = {"birth_date": "1985-04-02", "address": "3 rue des Écoles", "postal_code": "33340", "city": "CarteVille",
               "phone_mobile": "06 12 34 56 78", "email": "famille@example.fr", "allocataire_regime": "CAF",
               "allocataire_number": "1234567", "family_quotient": 642, "profession": "Infirmière",
               "employer": "CHU"}


async def test_campaign_review_contacts_uploads_and_privacy(site, amqp_url):
    admin, staff = Api(site.url), Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    await staff.login("agent.carteville", "Demo-Agent-2027")
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    public = await channel.declare_queue(exclusive=True)
    await public.bind(await channel.get_exchange("portail.events"), routing_key="#")

    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": f"20{uuid.uuid4().int % 50 + 30}-"
                                                                          f"20{uuid.uuid4().int % 50 + 30}"},
                     expect=422)
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    parent, family = await new_family(site, staff, children=2)
    leo, marina = (c["id"] for c in family["children"])

    async def dossier_ready():
        data = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
        return data if isinstance(data, dict) and len(data.get("sheets", [])) == 1 + 2 * 5 else None

    dossier = await eventually(dossier_ready)
    assert dossier["school_year"] == "2026-2027" and not dossier["complete"]
    assert {s["state_label"] for s in dossier["sheets"]} == {"À remplir"}
    famille = find(dossier, "famille")

    # draft, then an incomplete submission says what is missing
    saved = await parent.call("PUT", f"/api/v1/dossier/sheets/{famille['id']}/draft",
                              {"data": {"city": "CarteVille"}})
    assert saved["state_label"] == "Brouillon"
    refused = await parent.call("POST", f"/api/v1/dossier/sheets/{famille['id']}/submit",
                                {"data": FAMILY_DATA}, expect=422)
    assert any("justificatif de quotient familial" in m.lower() for m in refused["missing"])
    await upload(parent, famille["id"], "justificatif_qf", PDF, "avis CAF.pdf")
    sent = await parent.call("POST", f"/api/v1/dossier/sheets/{famille['id']}/submit", {"data": FAMILY_DATA})
    assert sent["state"] == "transmise"
    locked = await parent.call("PUT", f"/api/v1/dossier/sheets/{famille['id']}/draft", {"data": FAMILY_DATA},
                               expect=409)
    assert "plus modifiable" in locked["detail"]

    # staff refuse with a reason; the family is told by mail; it corrects; staff approve
    queue = await staff.call("GET", "/api/v1/dossier/review")
    assert famille["id"] in {s["id"] for s in queue["sheets"]}
    await staff.call("POST", f"/api/v1/dossier/staff/sheets/{famille['id']}/review", {"decision": "refused"},
                     expect=409)
    await staff.call("POST", f"/api/v1/dossier/staff/sheets/{famille['id']}/review",
                     {"decision": "refused", "reason": "Le justificatif de QF date de 2019."})
    address = f"{family['identifiant'].lower()}@example.fr"

    async def mail(subject):
        found = [m for m in site.catcher.messages if address in m.to and m.subject == subject]
        return found[-1] if found else None

    refusal = await eventually(lambda: mail("Portail Famille : votre fiche doit être complétée"))
    assert "Le justificatif de QF date de 2019." in refusal.text
    dossier = await parent.call("GET", "/api/v1/dossier/dossier")
    assert find(dossier, "famille")["state_label"] == "Refusée : à corriger"
    await parent.call("POST", f"/api/v1/dossier/sheets/{famille['id']}/submit",
                      {"data": {**FAMILY_DATA, "family_quotient": 655}})
    await staff.call("POST", f"/api/v1/dossier/staff/sheets/{famille['id']}/review", {"decision": "approved"})
    await eventually(lambda: mail("Portail Famille : votre fiche a été validée"))

    async def quotient_reached_billing():
        conn = await asyncpg.connect(site.billing_db)
        try:
            return await conn.fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1",
                                       uuid.UUID(family["family_id"]))
        finally:
            await conn.close()

    assert await eventually(quotient_reached_billing) == 655

    # contacts shared between children, names fixed, deleted only once removed everywhere
    contact = (await parent.call("POST", "/api/v1/dossier/contacts", {
        "last_name": "MARTIN", "first_name": "Mamie", "phone": "05 56 00 00 00"}, expect=201))["id"]
    link = {"contact_id": contact, "relationship": "Grand-mère", "may_pick_up": True, "call_in_emergency": True}
    for child in (leo, marina):
        sheet = find(dossier, "contacts", child)
        await parent.call("PUT", f"/api/v1/dossier/sheets/{sheet['id']}/draft", {"data": {"links": [link]}})
    renamed = await parent.call("PUT", f"/api/v1/dossier/contacts/{contact}", {
        "last_name": "MARTINEZ", "first_name": "Mamie"}, expect=422)
    assert "ne sont pas modifiables" in renamed["detail"]
    await parent.call("PUT", f"/api/v1/dossier/contacts/{contact}", {
        "last_name": "MARTIN", "first_name": "Mamie", "phone": "05 56 11 11 11"}, expect=204)
    blocked = await parent.call("DELETE", f"/api/v1/dossier/contacts/{contact}", expect=409)
    assert "Léo" in blocked["detail"] and "Marina" in blocked["detail"]
    for child in (leo, marina):
        sheet = find(dossier, "contacts", child)
        await parent.call("PUT", f"/api/v1/dossier/sheets/{sheet['id']}/draft", {"data": {"links": []}})
    await parent.call("DELETE", f"/api/v1/dossier/contacts/{contact}", expect=204)

    # insurance with an insurer that is not in the list
    insurance = find(dossier, "assurance", leo)
    insurers = await parent.call("GET", "/api/v1/dossier/insurers")
    assert "MAIF" in {i["name"] for i in insurers["insurers"]}
    await upload(parent, insurance["id"], "attestation_assurance", PDF, "attestation.pdf")
    sent = await parent.call("POST", f"/api/v1/dossier/sheets/{insurance['id']}/submit", {"data": {
        "new_company": {"name": "Mutuelle du Médoc", "address": "1 place du Marché", "phone": "05 56 22 22 22"},
        "contract_number": "MM-778899", "expiry_date": "2027-08-31"}})
    assert sent["state"] == "transmise"
    await staff.call("POST", f"/api/v1/dossier/staff/sheets/{insurance['id']}/review", {"decision": "approved"})
    insurers = await parent.call("GET", "/api/v1/dossier/insurers")
    assert "Mutuelle du Médoc" in {i["name"] for i in insurers["insurers"]}

    # every upload limit; the content decides, not the name; nothing stored when refused
    health = find(dossier, "sanitaire", leo)
    for i in range(4):
        await upload(parent, health["id"], "carnet_vaccination", PNG if i else PDF, f"page{i}.pdf")
    fifth = await upload(parent, health["id"], "carnet_vaccination", PDF, "page5.pdf", expect=422)
    assert "4 fichiers au plus" in fifth["detail"]
    big = await upload(parent, health["id"], "ordonnance", PDF + b"0" * (2000 * 1024), "gros.pdf", expect=422)
    assert "2000 Ko" in big["detail"]
    liar = await upload(parent, health["id"], "ordonnance", b"#!/bin/sh\nrm -rf /\n", "ordonnance.pdf", expect=422)
    assert "PDF, JPEG et PNG" in liar["detail"]
    ok = await upload(parent, health["id"], "ordonnance", PNG, "ordonnance.pdf")
    assert ok["mime"] == "image/png"
    sheet = await parent.call("GET", f"/api/v1/dossier/sheets/{health['id']}")
    assert len(sheet["documents"]) == 5 and sheet["limits"] == {"files_per_piece": 4, "max_kb": 2000,
                                                                 "types": ["PDF", "JPEG", "PNG"]}

    # health data sealed at rest, staff reads audited
    health_data = {"vaccinated": True, "vaccinations": [{"name": "DT Polio", "last_date": "2024-03-01"}],
                   "allergies": SECRET_ALLERGY, "pai": False, "treatment": "Ventoline", "doctor_name": "Dr Lune"}
    await parent.call("POST", f"/api/v1/dossier/sheets/{health['id']}/submit", {"data": health_data})
    conn = await asyncpg.connect(site.dossier_db)
    try:
        row = await conn.fetchrow("SELECT data, data_sealed FROM sheets WHERE id = $1", uuid.UUID(health["id"]))
        assert row["data"] is None and SECRET_ALLERGY.encode() not in bytes(row["data_sealed"])
        assert b"arachides" not in bytes(row["data_sealed"])
    finally:
        await conn.close()
    read = await staff.call("GET", f"/api/v1/dossier/staff/sheets/{health['id']}")
    assert read["data"]["allergies"] == SECRET_ALLERGY
    trail = await admin.call("GET", f"/api/v1/dossier/audit?child_id={leo}")
    assert [r["sheet_id"] for r in trail["reads"]] == [health["id"]]

    # a staff member of another structure and another family see nothing
    created = await admin.call("POST", "/api/v1/staff", {
        "login": f"agent.bourg.{uuid.uuid4().hex[:4]}", "display_name": "Agent du Bourg", "email": "bourg@example.fr",
        "structure_ids": [str(demo.DEMO_SECOND_STRUCTURE_ID)]}, expect=201)
    elsewhere = Api(site.url)
    await elsewhere.login(created["account_id"] and (await _login_of(site, created["account_id"])),
                          created["initial_password"])
    # a first sign-in: the API serves nothing before the new password (the pages' rule)
    await elsewhere.call("GET", f"/api/v1/dossier/staff/sheets/{health['id']}", expect=403)
    await elsewhere.call("POST", "/api/v1/password/required",
                         {"password": "Cantine-Mercredi-2027", "confirmation": "Cantine-Mercredi-2027"}, expect=204)
    await elsewhere.call("GET", f"/api/v1/dossier/staff/sheets/{health['id']}", expect=404)
    assert famille["id"] not in {s["id"] for s in (await elsewhere.call("GET", "/api/v1/dossier/review"))["sheets"]}
    other, _ = await new_family(site, staff, children=1)
    await other.call("GET", f"/api/v1/dossier/sheets/{health['id']}", expect=404)
    await other.call("GET", f"/api/v1/dossier/documents/{ok['id']}", expect=404)
    assert len((await admin.call("GET", f"/api/v1/dossier/audit?child_id={leo}"))["reads"]) == 1

    # the règlement intérieur signed for Marina opens booking to her (dossier → booking event)
    rules = find(dossier, "reglement", marina)
    await parent.call("POST", f"/api/v1/dossier/sheets/{rules['id']}/submit", {"data": {
        "acknowledged": True, "signer_name": "Alice DURAND", "place": "CarteVille", "signed_on": "2026-11-29",
        "signed_at": "14:30"}})

    async def signed_in_booking():
        conn = await asyncpg.connect(site.booking_db)
        try:
            return await conn.fetchval("SELECT count(*) FROM house_rules_signed WHERE child_id = $1", uuid.UUID(marina))
        finally:
            await conn.close()

    await eventually(signed_in_booking)

    # the family downloads everything held about it
    async with parent.http.get(f"{site.url}/api/v1/dossier/archive") as resp:
        assert resp.status == 200
        archive = zipfile.ZipFile(io.BytesIO(await resp.read()))
    names = archive.namelist()
    assert any(n.startswith("fiches/") for n in names) and sum(n.startswith("pieces/") for n in names) == 7
    assert any(SECRET_ALLERGY in archive.read(n).decode() for n in names if n.startswith("fiches/"))

    # a new school year: every sheet to validate again, prefilled with this year's answers
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2027-2028"}, expect=201)
    next_year = await parent.call("GET", "/api/v1/dossier/dossier")
    assert next_year["school_year"] == "2027-2028"
    assert {s["state_label"] for s in next_year["sheets"]} == {"À remplir"}
    prefilled = await parent.call("GET", f"/api/v1/dossier/sheets/{find(next_year, 'famille')['id']}")
    assert prefilled["data"]["family_quotient"] == 655 and prefilled["data"]["city"] == "CarteVille"

    # nothing on the public exchange carries health data
    events = []
    while (message := await public.get(fail=False, no_ack=True)) is not None:
        events.append(message.body.decode())
    await connection.close()
    assert any('"dossier.sheet_submitted"' in e for e in events)
    public_text = "\n".join(events)
    for secret in (SECRET_ALLERGY, "arachides", "Ventoline", "Dr Lune", "DT Polio"):
        assert secret not in public_text
    for api in (admin, staff, parent, elsewhere, other):
        await api.close()


async def _login_of(site, account_id: str) -> str:
    conn = await site.db()
    try:
        return await conn.fetchval("SELECT login FROM accounts WHERE id = $1", uuid.UUID(account_id))
    finally:
        await conn.close()
