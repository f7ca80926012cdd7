"""The « attestations de frais de garde » on the real stack (issue 19): staff choose the eligible activity and
the structure's details (the page's form), a month is invoiced and paid in two payments, the certificate
of the child under six equals what those payments paid for the eligible activity (a payment covering
several children and activities allotted by the invoice it paid), the child of six or more gets none, the
family sees nothing before staff issue the year (the page's button) and downloads its PDF after, another
family never. The year is the current one (payments are received today), the children's ages are taken
from it: any day."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from pypdf import PdfReader

from contracts import BookingTransmittedV1, TransmittedLine
from kit import clock
from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_billing import publish
from tests.e2e.test_bookings import Api, new_family
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
ADMIN_PASSWORD = "Demo-Admin-2027"


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("tax")) as p:
        yield p


async def family_with_a_young_and_an_older_child(site, staff: Api, year: int) -> tuple[Api, dict]:
    identifiant = f"AFG-{uuid.uuid4().hex[:8]}"
    kids = [{"first_name": "Léa", "last_name": "MARTIN", "birth_date": f"{year - 2}-03-01"},  # 1 or 2 on 1/1
            {"first_name": "Hugo", "last_name": "MARTIN", "birth_date": f"{year - 7}-03-01"}]  # 6 on 1/1
    created = await staff.call("POST", "/api/v1/families", {
        "identifiant": identifiant, "responsable": {"first_name": "Anne", "last_name": "MARTIN"},
        "emails": [f"{identifiant.lower()}@example.fr"], "structure_id": CARTEVILLE, "children": kids,
        "initial_password": "Initial-Pass-2026"}, expect=201)
    parent = Api(site.url)
    b = site.browser()
    await b.login(identifiant, "Initial-Pass-2026")
    await b.post("/mise-a-jour-securite", {"nouveau": "Garde-Enfants-2027", "confirmation": "Garde-Enfants-2027"})
    await b.get("/consentements")
    await b.post("/consentements", {"accepte_rgpd": "oui", "accepte_cgu": "oui"})
    await parent.login(identifiant, "Garde-Enfants-2027")

    async def children_known():
        data = await parent.call("GET", "/api/v1/booking/children")
        return data["children"] if len(data["children"]) == 2 else None

    children = {c["first_name"]: c for c in await eventually(children_known)}
    return parent, {"family_id": created["family_id"], "children": children, "browser": b,
                    "identifiant": identifiant}


def pdf_text(raw: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages)


async def paid_last_month(site, amqp_url: str, staff: Api, parent: Api, family: dict) -> tuple[str, str]:
    """Three days of last month: Léa at the ALSH and the canteen, Hugo at the ALSH (30 + 9 + 30 = 69,00 €),
    invoiced, then paid in two payments (40,00 by cheque, 29,00 in cash). Returns (alsh, canteen)."""
    lea, hugo = family["children"]["Léa"], family["children"]["Hugo"]
    alsh, canteen = str(uuid.uuid4()), str(uuid.uuid4())
    for activity, name, cents in ((alsh, "ALSH MERCREDI", 1000), (canteen, "REPAS SCOLAIRE", 300)):
        await staff.call("POST", "/api/v1/billing/tariffs", {
            "structure_id": CARTEVILLE, "activity_id": activity, "activity_name": name,
            "effective_from": "2020-01-01", "unit": "session",
            "brackets": [{"qf_max": None, "price_cents": cents}]}, expect=201)
    first = clock.paris_today().replace(day=1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    lines = []
    for day in (previous + dt.timedelta(days=i) for i in (2, 9, 16)):
        for kid, activity, name in ((lea, alsh, "ALSH MERCREDI"), (lea, canteen, "REPAS SCOLAIRE"),
                                    (hugo, alsh, "ALSH MERCREDI")):
            lines.append(TransmittedLine(
                booking_id=uuid.uuid4(), child_id=kid["id"], child_first_name=kid["first_name"],
                child_last_name=kid["last_name"], activity_id=activity, activity_name=name, date=day,
                kind="reserve", outcome="accepted"))
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=family["family_id"], structure_id=CARTEVILLE,
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC), lines=lines))

    async def recorded():
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={previous:%Y-%m}")
        return data if len(data["lines"]) == 9 else None

    assert (await eventually(recorded))["total"] == "69,00"
    admin = Api(site.url)
    await admin.login("admin.portail", ADMIN_PASSWORD)
    await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": f"{previous:%Y-%m}"})
    await admin.close()
    [invoice] = (await parent.call("GET", "/api/v1/billing/invoices"))["invoices"]
    assert invoice["total"] == "69,00"
    for amount, method in (("40,00", "cheque"), ("29,00", "cash")):  # two payments of the whole invoice
        await staff.call("POST", "/api/v1/billing/payments", {
            "family_id": family["family_id"], "structure_id": CARTEVILLE, "amount": amount, "method": method},
            expect=201)
    return alsh, canteen


async def test_a_certificate_equals_the_years_payments_for_eligible_activities(site, amqp_url):
    year = clock.paris_today().year
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    parent, family = await family_with_a_young_and_an_older_child(site, staff, year)
    lea, hugo = family["children"]["Léa"], family["children"]["Hugo"]
    alsh, _canteen = await paid_last_month(site, amqp_url, staff, parent, family)

    # staff make the ALSH eligible and write the structure's details, with the page's form
    desk = site.browser()
    await desk.login("agent.carteville", "Demo-Agent-2027")
    page = await desk.get(f"/gestion/attestations?annee={year}")
    assert page.status == 200 and "ALSH MERCREDI" in page.text and "Pas encore émises" in page.text
    saved = await desk.post("/gestion/attestations/reglages", {
        "annee": str(year), "eligible": alsh, "coordonnees": "1 place de la Mairie\n99000 CarteVille"},
        follow=False)
    assert saved.status == 303 and saved.location.startswith("/gestion/attestations?fait=reglages")
    listed = await staff.call("GET", f"/api/v1/billing/tax-certificates/staff?structure_id={CARTEVILLE}&year={year}")
    assert {a["name"]: a["eligible"] for a in listed["activities"]} == {"ALSH MERCREDI": True,
                                                                       "REPAS SCOLAIRE": False}
    ours = [c for c in listed["certificates"] if c["family_id"] == family["family_id"]]
    # only Léa's (Hugo is six or more on 1 January), and only what the payments paid for the ALSH: 30,00 of 69,00
    assert [(c["first_name"], c["total"]) for c in ours] == [("Léa", "30,00")]
    assert [line["activity"] for line in ours[0]["lines"]] == ["ALSH MERCREDI"]

    # the family sees nothing before the year is issued
    assert (await parent.call("GET", "/api/v1/billing/tax-certificates"))["years"] == []
    pdf_path = f"/api/v1/billing/tax-certificates/{CARTEVILLE}/{year}/{lea['id']}/pdf"
    await parent.call("GET", pdf_path, expect=404)
    await parent.call("GET", f"/api/v1/billing/tax-certificates/{CARTEVILLE}/{year}/{hugo['id']}/pdf", expect=404)

    issued = await desk.post("/gestion/attestations/emettre", {"annee": str(year)}, follow=False)
    assert issued.status == 303 and "fait=emises" in issued.location
    again = await staff.call("POST", "/api/v1/billing/tax-certificates/issue",
                             {"structure_id": CARTEVILLE, "year": year})
    assert again["issued"] is False
    [mine] = (await parent.call("GET", "/api/v1/billing/tax-certificates"))["years"]
    assert (mine["year"], mine["total"]) == (year, "30,00")
    assert [c["first_name"] for c in mine["certificates"]] == ["Léa"]
    async with parent.http.get(site.url + pdf_path) as resp:
        assert resp.status == 200 and resp.content_type == "application/pdf"
        text = pdf_text(await resp.read())
    assert "Attestation de frais de garde" in text and "30,00" in text and "Léa MARTIN" in text
    assert "1 place de la Mairie" in text and "Mairie de CarteVille" in text and "69,00" not in text

    # the family's page and its link; the staff's PDF of the whole year
    page = await family["browser"].get("/consommations/attestations")
    assert page.status == 200 and "30,00" in page.text and "Hugo" not in page.text
    assert f"/consommations/attestations/{CARTEVILLE}/{year}/{lea['id']}.pdf" in page.text
    async with desk.http.get(f"{site.url}/gestion/attestations/{year}.pdf") as resp:
        assert resp.status == 200
        assert "Léa MARTIN" in pdf_text(await resp.read())

    # another family: nothing of it
    other, _ = await new_family(site, staff, children=1)
    assert (await other.call("GET", "/api/v1/billing/tax-certificates"))["years"] == []
    await other.call("GET", pdf_path, expect=404)
    await parent.call("GET", f"/api/v1/billing/tax-certificates/staff?structure_id={CARTEVILLE}", expect=403)
    for api in (staff, parent, other):
        await api.close()
