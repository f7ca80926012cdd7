"""Issue 16 in Chromium: the parent side keeps its word, walked through the real pages (auth, booking,
billing, notify and the gateway on PostgreSQL and RabbitMQ; the same facts as tests/e2e/test_parent_word.py).

1. requests answered by staff from /gestion/demandes (one accepted, one refused with its reason) become
   « Acceptée » / « Refusée — Motif : … » in the family's suivi once the administrator has run the night
   from /gestion/exploitation; nothing is left « non transmise »;
2. the quotient familial changes after a day was booked and transmitted, before the next is booked: the
   recap, the suivi, the consumptions page and the invoice PDF downloaded from it show one and the same
   price per line (the day already charged keeps 2,10, the next costs 2,98);
3. the consumptions page says which days it lists, and the Exploitation form invoices last month (the
   month left empty), never a month that is not over."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Page, expect
from pypdf import PdfReader

from contracts import BookingTransmittedV1, TransmittedLine
from kit.clock import paris_today
from kit.fr import month_year
from services.billing.service import OUTBOX
from services.billing.service import invoices as billing_invoices
from services.billing.store import Store as BillingStore
from services.gateway.pages.billing import consumptions as consumptions_pages
from tests.browser.test_journeys import DESKTOP, shot, sign_in, spoken
from tests.browser.test_staff_pages import ADMIN, STAFF, api, sign_in_staff
from tests.conftest import eventually
from tests.e2e.test_billing import publish
from tests.e2e.test_bookings import MONTH_END, MONTH_KEY, new_family, open_days
from tests.parent_word import CARTEVILLE, follow_lines, last_month, quotient, quotient_priced_activities

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
async def world(portal):
    """Staff and the administrator through the API; CarteVille's canteen priced by quotient and a course
    that needs staff's answer, open the month two months ahead (tests/parent_word.py)."""
    staff, admin = await api(portal, STAFF), await api(portal, ADMIN)
    ids = await quotient_priced_activities(portal, staff)
    yield staff, admin, ids
    await staff.close()
    await admin.close()


async def settled(page: Page) -> None:
    """Waits for the page's load event before the test leaves it: axe-core starts its analysis then
    (tests/browser/accessibility.py), and a page left before it would start an analysis that never reports."""
    await page.wait_for_load_state("load")


async def signed_in(page: Page, portal, identifiant: str) -> None:
    await sign_in(page, portal, identifiant)
    await settled(page)


def day_text(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


async def pick_day(page: Page, portal, child: str, activity: str, day: str) -> None:
    """The calendar of `child` for `activity`, the day clicked: a request in the basket, nothing recorded."""
    await page.goto(f"{portal.url}/reservations?mois={MONTH_KEY}&enfant={child}&activite={activity}")
    await expect(page.get_by_label("Enfant", exact=True)).to_have_value(child)
    await page.get_by_role("button", name=f"Réserver le {spoken(date.fromisoformat(day))}").click()
    await expect(page.locator(f"td.jour[data-date='{day}']")).to_have_class(re.compile(r"\battente-reserve\b"))


async def confirm(page: Page, outcome: str, count: int) -> None:
    """From the recap: « Valider », then the answer page (through the waiting room) lists every line."""
    await settled(page)
    await page.get_by_role("button", name="Valider", exact=True).click()
    await expect(page.locator("table.resultat tbody tr", has_text=outcome)).to_have_count(count)
    await settled(page)


async def recap_cost(page: Page, day: str) -> str:
    """« Valider » on the calendar: the recap's cost of `day`."""
    await page.get_by_role("button", name="Valider", exact=True).click()
    table = page.locator("table", has=page.locator("caption", has_text="Vos demandes de réservations"))
    row = table.locator("tbody tr", has_text=day_text(day))
    await expect(row).to_have_count(1)
    await settled(page)
    return (await row.locator("td[data-libelle='Coût']").text_content()).strip()


def follow_row(page: Page, day: str, person: str):
    return page.locator("table.suivi tbody tr", has_text=day_text(day)).filter(has_text=person)


async def expect_follow(page: Page, day: str, person: str, cost: str | None, state: str) -> None:
    row = follow_row(page, day, person)
    await expect(row).to_have_count(1)
    if cost is not None:
        await expect(row.locator("td[data-libelle='Coût*']")).to_have_text(cost)
    await expect(row.locator("td[data-libelle='État']")).to_have_text(state)


# -- 1. staff's answers, the night, the suivi --------------------------------------------------------------------
async def test_requests_answered_from_gestion_become_transmitted_with_the_reason(portal, world, open_page):
    staff, _admin, ids = world
    parent, family = await new_family(portal, staff, children=2)
    leo, marina = (c["id"] for c in family["children"])
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": leo, "month": MONTH_KEY, "activity_id": ids["stage"]})
    day = open_days(cal)[0]
    stage = next(a["name"] for c in (await parent.call("GET", "/api/v1/booking/children"))["children"]
                 for a in c["activities"] if a["id"] == ids["stage"])

    # the family asks for the course for both children, through the calendar and the recap
    home = await open_page(DESKTOP)
    await signed_in(home, portal, family["identifiant"])
    await pick_day(home, portal, leo, ids["stage"], day)
    await home.get_by_label("Enfant", exact=True).select_option(marina)  # the basket goes along
    await expect(home.locator(f"td.jour[data-date='{day}']")).not_to_have_class(re.compile(r"\battente-reserve\b"))
    await expect(home.get_by_label("Enfant", exact=True)).to_have_value(marina)
    await settled(home)
    await home.get_by_role("button", name=f"Réserver le {spoken(date.fromisoformat(day))}").click()
    await home.get_by_role("button", name="Valider", exact=True).click()
    for name in ("DURAND Léo", "DURAND Marina"):
        await expect(home.get_by_role("heading", name=f"Récapitulatif des demandes pour {name}")).to_be_visible()
    await confirm(home, "En attente de réponse", 2)

    # staff answer from Gestion › Demandes: a refusal without a reason is refused, then one of each
    desk = await open_page(DESKTOP)
    await sign_in_staff(desk, portal, STAFF)
    await desk.get_by_role("link", name="Demandes").first.click()
    await expect(desk.get_by_role("heading", name="Demandes en attente de décision")).to_be_visible()
    await settled(desk)
    rows = desk.locator("tr", has_text=stage).filter(has_text=day_text(day))
    await expect(rows).to_have_count(2)
    marina_row, leo_row = rows.filter(has_text="DURAND Marina"), rows.filter(has_text="DURAND Léo")
    await marina_row.get_by_role("button", name="Refuser").click()
    await expect(desk.get_by_role("alert")).to_contain_text("Indiquez le motif du refus")
    await settled(desk)
    await expect(rows).to_have_count(2)  # nothing decided
    await marina_row.get_by_label("Motif (obligatoire en cas de refus)").fill("Groupe complet")
    await marina_row.get_by_role("button", name="Refuser").click()
    await expect(desk.get_by_role("status")).to_have_text("✓ La décision a bien été enregistrée")
    await settled(desk)
    await leo_row.get_by_role("button", name="Accepter").click()
    await expect(rows).to_have_count(0)
    await settled(desk)

    # answered, not yet transmitted: the suivi says so, with the reason
    await home.goto(f"{portal.url}/reservations/suivi")
    await expect_follow(home, day, "Léo", None, "Acceptée, non transmise")
    await expect_follow(home, day, "Marina", None, "Refusée, non transmise — Motif : Groupe complet")

    # the night, run by the administrator from Gestion › Exploitation
    night = await open_page(DESKTOP)
    await sign_in_staff(night, portal, ADMIN)
    await night.get_by_role("link", name="Exploitation").first.click()
    await settled(night)
    await night.get_by_role("button", name="Lancer la transmission maintenant").click()
    await expect(night.get_by_role("status")).to_have_text(
        re.compile(r"Transmission effectuée : [1-9]\d* famille\(s\), \d+ message\(s\), \d+ ligne\(s\)"))
    await settled(night)

    # the family's suivi: transmitted, the refusal's reason kept, nothing « non transmise »
    await home.goto(f"{portal.url}/reservations/suivi")
    await expect_follow(home, day, "Léo", None, "Acceptée")
    await expect_follow(home, day, "Marina", None, "Refusée — Motif : Groupe complet")
    await expect(home.locator("table.suivi")).not_to_contain_text("non transmise")
    await expect(follow_row(home, day, "Marina").locator(".motif")).to_contain_text("Motif : Groupe complet")
    await home.locator("table.suivi").evaluate("table => table.scrollIntoView({block: 'center'})")
    await shot(home, "suivi-transmise.png")  # for the README: the suivi after the night, with the reason
    # « Non transmise » alone: nothing left in that state
    for box in ("En attente réponse", "En liste d'attente", "Transmise"):
        await home.get_by_label(box, exact=True).uncheck()
    await home.get_by_role("button", name="Afficher").click()
    await expect(home.locator("main")).to_contain_text("Aucune réservation ne correspond à votre sélection.")
    assert {(x["state"], x.get("reason")) for x in (await follow_lines(parent, marina)).values()} == {
        ("Refusée", "Groupe complet")}

    # another family never reads this one's answers
    other, other_family = await new_family(portal, staff, children=1)
    elsewhere = await open_page(DESKTOP)
    await signed_in(elsewhere, portal, other_family["identifiant"])
    await elsewhere.goto(f"{portal.url}/reservations/suivi")
    await expect(elsewhere.locator("main")).not_to_contain_text("Groupe complet")
    await expect(elsewhere.locator("main")).to_contain_text("Aucune réservation ne correspond à votre sélection.")
    for client in (parent, other):
        await client.close()


# -- 2. one line, one price: recap, suivi, consumptions, invoice ---------------------------------------------------
async def test_one_price_per_line_on_every_page_after_a_quotient_change(portal, world, open_page, amqp_url,
                                                                        monkeypatch):
    staff, admin, ids = world
    parent, family = await new_family(portal, staff, children=2)
    marina = family["children"][1]["id"]  # rank 2: 2,10 up to QF 700, 2,98 above
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": marina, "month": MONTH_KEY, "activity_id": ids["cantine"]})
    first, second = open_days(cal)[:2]
    await quotient(portal, amqp_url, parent, family["family_id"], 650, marina, ids["cantine"], first, "2,10 €")

    async def consumed(count: int):
        data = await parent.call("GET", f"/api/v1/billing/consumptions?month={MONTH_KEY}")
        return data["lines"] if len(data["lines"]) == count else None

    page = await open_page(DESKTOP)
    await signed_in(page, portal, family["identifiant"])
    # the first day at QF 650, transmitted that night
    await pick_day(page, portal, marina, ids["cantine"], first)
    assert await recap_cost(page, first) == "2,10 €"
    await confirm(page, "Acceptée", 1)
    await admin.call("POST", "/api/v1/booking/transmissions")
    await eventually(lambda: consumed(1))

    # the quotient goes up after that night: the day already charged keeps its price, a new day costs more
    await quotient(portal, amqp_url, parent, family["family_id"], 1200, marina, ids["cantine"], second, "2,98 €")
    await page.goto(f"{portal.url}/reservations/suivi")
    await expect_follow(page, first, "Marina", "2,10", "Acceptée")  # was 2,98: issue 16
    await pick_day(page, portal, marina, ids["cantine"], second)
    assert await recap_cost(page, second) == "2,98 €"
    await confirm(page, "Acceptée", 1)
    await page.goto(f"{portal.url}/reservations/suivi")
    await expect_follow(page, second, "Marina", "2,98", "Acceptée, non transmise")
    await admin.call("POST", "/api/v1/booking/transmissions")  # the second day's night
    await page.reload()
    await expect_follow(page, first, "Marina", "2,10", "Acceptée")
    await expect_follow(page, second, "Marina", "2,98", "Acceptée")
    await expect(page.locator("[data-total]")).to_have_text("5,08")
    await eventually(lambda: consumed(2))

    # the month is over: billing's job, run with its clock on the day after, invoices it; the family looks
    # at the consumptions page that day (the gateway page's clock moved there: the month is "le mois précédent")
    pool = await asyncpg.create_pool(portal.billing_db, min_size=1, max_size=2)
    try:
        report = await billing_invoices.issue_month(BillingStore(pool), OUTBOX, MONTH_KEY,
                                                    MONTH_END + timedelta(days=1))
    finally:
        await pool.close()
    assert report.invoices >= 1
    monkeypatch.setattr(consumptions_pages, "paris_today", lambda: MONTH_END + timedelta(days=1))
    await page.goto(f"{portal.url}/consommations?mois={MONTH_KEY}")
    table = page.locator("table.conso-table")
    await expect(table.locator("tbody tr")).to_have_count(2)
    for day, price in ((first, "2,10"), (second, "2,98")):
        row = table.locator("tbody tr", has_text=day_text(day))
        await expect(row.locator("td[data-titre='Prix (€)']")).to_have_text(price)
        await expect(row.locator("td[data-titre='Total (€)']")).to_have_text(price)
    await expect(page.locator("[data-total]")).to_have_text("TOTAL(€) 5,08")
    invoice = page.locator("table.factures tbody tr")
    await expect(invoice).to_have_count(1)
    await expect(invoice.locator("td[data-titre='Montant (€)']")).to_have_text("5,08")
    async with page.expect_download() as info:
        await invoice.get_by_role("link", name=re.compile("Facture PDF")).click()
    raw = Path(await (await info.value).path()).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(raw)).pages)
    assert "2,10" in text and "2,98" in text and "5,08" in text, text
    assert "3,59" not in text and "2,50" not in text, text
    await parent.close()


# -- 3. invoices cover a closed month -------------------------------------------------------------------------------
async def test_consumptions_page_says_which_days_and_exploitation_invoices_last_month(portal, world, open_page,
                                                                                      amqp_url):
    staff, _admin, _ids = world
    parent, family = await new_family(portal, staff, children=1)
    child = family["children"][0]
    today = paris_today()  # billing's day and the page's (the families' one, in Paris)
    previous, current = last_month(today), today.replace(day=1)
    canteen = str(uuid.uuid4())
    await staff.call("POST", "/api/v1/billing/tariffs", {
        "structure_id": CARTEVILLE, "activity_id": canteen, "activity_name": "REPAS SCOLAIRE",
        "effective_from": "2020-01-01", "unit": "session", "brackets": [{"qf_max": None, "price_cents": 400}]},
        expect=201)
    # transmitted days: the last one of last month, and the first of this month (already committed)
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=family["family_id"], structure_id=CARTEVILLE,
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC), lines=[
            TransmittedLine(booking_id=uuid.uuid4(), child_id=child["id"], child_first_name=child["first_name"],
                            child_last_name=child["last_name"], activity_id=canteen, activity_name="REPAS SCOLAIRE",
                            date=day, kind="reserve", outcome="accepted", unit_price_cents=400, quantity=1,
                            total_cents=400)
            for day in (current - timedelta(days=1), current)]))

    async def recorded():
        months = [(await parent.call("GET", f"/api/v1/billing/consumptions?month={m:%Y-%m}"))["lines"]
                  for m in (previous, current)]
        return months if all(months) else None

    await eventually(recorded)

    # the family's page says which days it lists, and that an invoice covers a finished month only
    page = await open_page(DESKTOP)
    await signed_in(page, portal, family["identifiant"])
    await page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Consommations").click()
    scope = page.locator("[data-portee]")
    for words in ("Les consommations listées sont vos réservations acceptées et transmises",
                  "au prix affiché dans le suivi des réservations",
                  "les jours passés et les jours à venir déjà engagés",
                  "Une facture ne porte que sur un mois terminé, jusqu'à son dernier jour."):
        await expect(scope).to_contain_text(words)
    await settled(page)
    table = page.locator("table.conso-table")
    await expect(table.locator("tbody tr")).to_have_count(1)
    await expect(table.locator("tbody tr")).to_contain_text(current.strftime("%d/%m/%Y"))  # a day committed
    await expect(page.locator("main")).to_contain_text("Aucune facture pour le moment.")

    # the administrator's form: the month left empty is last month's, this month is refused
    desk = await open_page(DESKTOP)
    await sign_in_staff(desk, portal, ADMIN)
    await desk.get_by_role("link", name="Exploitation").first.click()
    await settled(desk)
    month = desk.get_by_label("Mois (AAAA-MM, facultatif)")
    await expect(month).to_have_value("")
    await expect(month).to_have_accessible_description(
        "Un mois se facture une fois terminé, jusqu'à son dernier jour ; laissé vide, c'est le mois dernier.")
    await month.fill(f"{current:%Y-%m}")
    await desk.get_by_role("button", name="Émettre les factures du mois").click()
    await expect(desk.get_by_role("alert")).to_contain_text(f"Le mois {current:%Y-%m} n'est pas terminé")
    await settled(desk)
    await desk.get_by_label("Mois (AAAA-MM, facultatif)").fill("")
    await desk.get_by_role("button", name="Émettre les factures du mois").click()
    await expect(desk.get_by_role("status")).to_contain_text(
        re.compile(rf"✓ [1-9]\d* facture\(s\) émise\(s\) pour le mois {previous:%Y-%m}"))
    await settled(desk)

    # the family's invoice: last month's day only, not this month's
    await page.reload()
    invoice = page.locator("table.factures tbody tr")
    await expect(invoice).to_have_count(1)
    await expect(invoice.locator("td[data-titre='Montant (€)']")).to_have_text("4,00")
    await expect(invoice.locator("td[data-titre='Période']")).to_have_text(month_year(previous.year, previous.month))
    [issued] = (await parent.call("GET", "/api/v1/billing/invoices"))["invoices"]
    assert (issued["period_start"], issued["total"]) == (previous.isoformat(), "4,00")
    await parent.close()
