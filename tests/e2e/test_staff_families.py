"""Staff find a family and act from its page, on the real stack (issue 16): the search (identifiant, names,
e-mail, the address dossier holds), its pages, the family page composed from the five services, a payment,
a security update and a failed mail sent again from there; and never anything of another structure's
family: its search hits, its page, a payment, a security update or a resend are 404."""

from __future__ import annotations

import html
import re
import uuid

import asyncpg
import pytest

from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_access_booking_dossier_notify import PDF, family_in, upload
from tests.e2e.test_bookings import Api
from tests.e2e.test_dossier import FAMILY_DATA, find
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
STAFF = ("agent.carteville", "Demo-Agent-2027")


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("staff_families")) as p:
        yield p


async def staff_browser(site, login: str, password: str):
    b = site.browser()
    page = await b.login(login, password)
    assert page.status == 200, page.text[:300]
    return b


async def other_structure_staff(site, admin: Api) -> tuple[str, object]:
    """A second commune with its own agent, signed in on the pages."""
    structure_id = (await admin.call("POST", "/api/v1/structures", {"name": f"Commune B {uuid.uuid4().hex[:6]}"},
                                     expect=201))["id"]
    login = f"agent.b.{uuid.uuid4().hex[:6]}"
    created = await admin.call("POST", "/api/v1/staff", {
        "login": login, "display_name": "Agent B", "email": f"{login}@example.fr", "structure_ids": [structure_id]},
        expect=201)
    conn = await site.db()
    try:
        await conn.execute("UPDATE accounts SET must_change_password = false WHERE login = $1", login)
    finally:
        await conn.close()
    return structure_id, await staff_browser(site, login, created["initial_password"])


def identifiants(html: str) -> set[str]:
    return set(re.findall(r'<a href="/gestion/familles/[0-9a-f-]{36}">([^<]+)</a>', html))


async def query(dsn: str, sql: str, *args):
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def test_search_family_page_and_actions_never_reach_another_structure(site):
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    tag = uuid.uuid4().hex[:6]
    parent_a, ours = await family_in(site, admin, CARTEVILLE, f"Anouk{tag}")
    other_sid, staff_b = await other_structure_staff(site, admin)
    _, theirs = await family_in(site, admin, other_sid, f"Anouk{tag}")  # the same child's name, commune B
    staff_a = await staff_browser(site, *STAFF)

    # found by a child's first name, by identifiant, by e-mail: only the family of one's own commune
    for words in (f"anouk{tag}", ours["identifiant"].lower(), f"{ours['identifiant'].lower()}@example"):
        found = await staff_a.get(f"/gestion/familles?q={words}")
        assert found.status == 200 and identifiants(found.text) == {ours["identifiant"]}, words
    found = await staff_b.get(f"/gestion/familles?q=Anouk{tag}")
    assert identifiants(found.text) == {theirs["identifiant"]}
    assert identifiants((await staff_a.get(f"/gestion/familles?q={theirs['identifiant']}")).text) == set()
    assert "Aucune famille ne correspond" in (await staff_a.get(f"/gestion/familles?q={theirs['identifiant']}")).text

    # by the address the family transmitted in its dossier (dossier owns it)
    dossier = await eventually(lambda: _dossier(parent_a))
    famille = find(dossier, "famille")
    await upload(parent_a, famille["id"], "justificatif_qf", PDF, "avis CAF.pdf")
    street = f"7 allée des Tilleuls {tag}"
    await parent_a.call("POST", f"/api/v1/dossier/sheets/{famille['id']}/submit",
                        {"data": {**FAMILY_DATA, "address": street}})
    found = await staff_a.get(f"/gestion/familles?q=Tilleuls {tag}")
    assert identifiants(found.text) == {ours["identifiant"]}
    assert identifiants((await staff_b.get(f"/gestion/familles?q=Tilleuls {tag}")).text) == set()

    # the family page: identity, dossier states, the address, the account, an empty month
    page = await staff_a.get(f"/gestion/familles/{ours['family_id']}")
    assert page.status == 200
    for shown in (ours["identifiant"], "MOREAU Inès", f"MOREAU Anouk{tag}", "Mairie de CarteVille", street,
                  "Fiche famille", "Transmise", "À remplir", "Aucune réservation ce mois-ci", "Solde"):
        assert shown in page.text, shown
    assert f'/gestion/dossiers/{famille["id"]}' in page.text  # a transmitted sheet opens from here

    # another commune's family: no page, no payment, no security update (404), nothing written
    assert (await staff_a.get(f"/gestion/familles/{theirs['family_id']}")).status == 404
    assert (await staff_a.get(f"/gestion/familles/{uuid.uuid4()}")).status == 404
    assert (await staff_a.get("/gestion/familles/DUPONT-0042")).status == 404
    paid = await staff_a.post(f"/gestion/familles/{theirs['family_id']}/paiement",
                              {"montant": "10,00", "moyen": "cash", "reference": "x"})
    assert paid.status == 404
    flagged = await staff_a.post(f"/gestion/familles/{theirs['family_id']}/securite", {})
    assert flagged.status == 404
    assert await query(site.billing_db, "SELECT 1 FROM payments WHERE family_id = $1",
                       uuid.UUID(theirs["family_id"])) == []
    [row] = await query(site.auth_db, "SELECT must_change_password FROM accounts WHERE family_id = $1",
                        uuid.UUID(theirs["family_id"]))
    assert row["must_change_password"] is False

    # a payment recorded from the page (POST, then redirect), shown in the account; its ticket goes by mail
    before = len(site.catcher.messages)
    paid = await staff_a.post(f"/gestion/familles/{ours['family_id']}/paiement",
                              {"montant": "12,50", "moyen": "cheque", "reference": f"CHQ-{tag}"}, follow=False)
    assert paid.status == 303 and paid.location.endswith(f"/gestion/familles/{ours['family_id']}?fait=paiement")
    page = await staff_a.get(paid.location)
    assert "✓ Le paiement a bien été enregistré" in page.text and "12,50 €" in page.text and f"CHQ-{tag}" in page.text
    await eventually(lambda: _caught(site, ours["address"], before))

    # a security update from the page
    flagged = await staff_a.post(f"/gestion/familles/{ours['family_id']}/securite", {}, follow=False)
    assert flagged.status == 303
    [row] = await query(site.auth_db, "SELECT must_change_password FROM accounts WHERE family_id = $1",
                        uuid.UUID(ours["family_id"]))
    assert row["must_change_password"] is True
    assert "Nouveau mot de passe demandé" in (await staff_a.get(f"/gestion/familles/{ours['family_id']}")).text

    # the ticket failed: the failures page lists it with the reason; staff of B do not see it nor resend it
    notify_db = re.sub(r"auth$", "notify", site.auth_db)
    await eventually(lambda: _sent(notify_db, ours["family_id"]))
    [mail] = await query(notify_db, """UPDATE deliveries SET status = 'failed', smtp_answer = '550 5.1.1 Boîte inconnue'
                                       WHERE family_id = $1 RETURNING id""", uuid.UUID(ours["family_id"]))
    failures = await staff_a.get("/gestion/envois")
    assert "550 5.1.1 Boîte inconnue" in failures.text and ours["identifiant"] in failures.text
    assert ours["address"] in failures.text
    assert "550 5.1.1" not in (await staff_b.get("/gestion/envois")).text
    assert (await staff_b.post(f"/gestion/envois/{mail['id']}/renvoi", {})).status == 404
    assert (await staff_b.post(f"/gestion/familles/{ours['family_id']}/courriels/{mail['id']}/renvoi", {})
            ).status == 404
    page = await staff_a.get(f"/gestion/familles/{ours['family_id']}")
    assert "Échec de l'envoi" in html.unescape(page.text) and f"/courriels/{mail['id']}/renvoi" in page.text

    # sent again from the family's page: the family receives it
    before = len(site.catcher.messages)
    resent = await staff_a.post(f"/gestion/familles/{ours['family_id']}/courriels/{mail['id']}/renvoi", {},
                                follow=False)
    assert resent.status == 303 and resent.location.endswith("?fait=renvoi")
    await eventually(lambda: _caught(site, ours["address"], before))
    await eventually(lambda: _sent(notify_db, ours["family_id"]))
    again = await staff_a.post(f"/gestion/envois/{mail['id']}/renvoi", {})  # sent now: nothing to resend
    assert again.status == 422 and "Seul un courriel en échec" in again.text
    await admin.close()
    await parent_a.close()


async def _dossier(parent: Api):
    data = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
    return data if isinstance(data, dict) and data.get("sheets") else None


async def _caught(site, address: str, since: int) -> bool:
    return any(address in m.to for m in site.catcher.messages[since:])


async def _sent(notify_db: str, family_id: str) -> bool:
    rows = await query(notify_db, "SELECT status FROM deliveries WHERE family_id = $1", uuid.UUID(family_id))
    return bool(rows) and all(r["status"] == "sent" for r in rows)


async def test_the_families_list_comes_in_pages(site):
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    tag = uuid.uuid4().hex[:6].upper()
    for i in range(23):
        await admin.call("POST", "/api/v1/families", {
            "identifiant": f"PAGE{tag}-{i:02d}", "responsable": {"first_name": "Lou", "last_name": f"PAGINE{tag}"},
            "emails": [], "structure_id": CARTEVILLE, "children": []}, expect=201)
    staff = await staff_browser(site, *STAFF)
    first = await staff.get(f"/gestion/familles?q=pagine{tag}")
    assert identifiants(first.text) == {f"PAGE{tag}-{i:02d}" for i in range(20)}
    assert "23 famille(s) trouvée(s)" in first.text and "Page 1 sur 2" in first.text
    assert "Page suivante" in first.text and "Page précédente" not in first.text
    second = await staff.get(f"/gestion/familles?q=pagine{tag}&page=2")
    assert identifiants(second.text) == {f"PAGE{tag}-{i:02d}" for i in range(20, 23)}
    assert "Page précédente" in second.text and "Page suivante" not in second.text
    past = await staff.get(f"/gestion/familles?q=pagine{tag}&page=40")  # past the end: the last page
    assert identifiants(past.text) == identifiants(second.text)
    nonsense = await staff.get(f"/gestion/familles?q=pagine{tag}&page=x%27")
    assert nonsense.status == 200 and identifiants(nonsense.text) == identifiants(first.text)
    everyone = await staff.get("/gestion/familles")  # no search: every family of the structure, in pages
    assert "famille(s) de la structure" in everyone.text and "DUPONT-0042" in everyone.text
    await admin.close()
