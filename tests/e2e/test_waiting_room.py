"""The confirmation page through the waiting room on the real stack (docs/adr/0008): the form answers with a
redirect to the request's own page; while booking cannot record it the parent sees at once their position
(refreshed by the browser, followed live by a script), then the results; reloading shows the same results
(never « déjà réservé »), the same form posted twice is recorded once, another family's request is unknown."""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
import uuid

import asyncpg

from tests.conftest import eventually
from tests.e2e.test_bookings import MONTH_KEY, new_family, open_days, setup, site  # noqa: F401 - fixtures

DEMANDE_RE = re.compile(r'name="demande" value="([^"]+)"')


async def signed_in(site, family: dict):  # noqa: F811 - the fixture is passed in
    b = site.browser()
    await b.login(family["identifiant"], "Cantine-Mercredi-2027")
    return b


async def test_the_parent_waits_in_the_room_then_sees_the_results_on_every_reload(site, setup):  # noqa: F811
    staff, ids = setup
    parent, family = await new_family(site, staff, children=1)
    other, other_family = await new_family(site, staff, children=1)
    leo = family["children"][0]["id"]
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": leo, "month": MONTH_KEY, "activity_id": ids["mercredi"]})
    wednesday = open_days(cal)[-1]
    basket = [{"child_id": leo, "activity_id": ids["mercredi"], "date": wednesday, "action": "reserve"}]
    b = await signed_in(site, family)
    back = {"enfant": leo, "activite": ids["mercredi"], "mois": MONTH_KEY}
    recap = await b.post("/reservations/recapitulatif", {"panier": json.dumps(basket), **back})
    assert recap.status == 200
    form = {"panier": json.dumps(basket), "demande": DEMANDE_RE.search(recap.text).group(1), **back}

    holder = await asyncpg.connect(site.booking_db)
    try:
        tx = holder.transaction()
        await tx.start()  # the day's places row held: booking cannot record the basket for now
        await holder.execute("SELECT 1 FROM sessions WHERE activity_id = $1 FOR UPDATE", uuid.UUID(ids["mercredi"]))
        started = time.monotonic()
        posted = await b.post("/reservations/confirmer", form, follow=False)
        assert posted.status == 303 and posted.location.startswith(f"/reservations/demandes/{form['demande']}?")
        assert time.monotonic() - started < 8  # an answer at once, not a hanging request
        waiting = await b.get(posted.location)
        assert waiting.status == 200
        assert "Votre demande est dans la file d'attente : position 1, environ " in html.unescape(waiting.text)
        assert re.search(r"environ \d+ secondes?</p>", waiting.text) and '<script src="/static/attente.js" defer></script>' in waiting.text
        assert waiting.headers["Refresh"] == "2"  # without JavaScript the browser refreshes: next, so often
        state = await b.get(f"/reservations/demandes/{form['demande']}/etat")
        assert json.loads(state.text)["status"] == "queued"
        assert json.loads(state.text)["poll_seconds"] == 2  # the script asks again as often
        # another family does not even learn the request exists
        intruder = await signed_in(site, other_family)
        assert (await intruder.get(posted.location)).status == 404
        assert (await intruder.get(f"/reservations/demandes/{form['demande']}/etat")).status == 404
        await tx.rollback()
    finally:
        await holder.close()

    async def recorded():
        page = await b.get(posted.location)
        return page if "Vos demandes ont été traitées" in page.text else None

    page = await eventually(recorded)
    assert "Acceptée" in page.text and "Refresh" not in page.headers
    again = await b.get(posted.location)
    assert "Acceptée" in again.text and "déjà réservé" not in html.unescape(again.text)
    # the same form posted again (a second click, a resubmission) is the same request: nothing twice
    reposted = await b.post("/reservations/confirmer", form, follow=False)
    assert reposted.location == posted.location
    assert "Acceptée" in (await b.get(reposted.location)).text
    follow = await parent.call("GET", "/api/v1/booking/follow-up")
    assert [(line["date"], line["status"]) for line in follow["lines"]] == [(wednesday, "accepted")]
    await asyncio.gather(parent.close(), other.close())


async def test_under_normal_load_the_result_comes_directly(site, setup):  # noqa: F811
    staff, ids = setup
    parent, family = await new_family(site, staff, children=1)
    leo = family["children"][0]["id"]
    cal = await parent.call("POST", "/api/v1/booking/calendar",
                            {"child_id": leo, "month": MONTH_KEY, "activity_id": ids["cantine"]})
    basket = [{"child_id": leo, "activity_id": ids["cantine"], "date": d, "action": "reserve"}
              for d in open_days(cal)[:3]]
    b = await signed_in(site, family)
    page = await b.post("/reservations/confirmer", {"panier": json.dumps(basket)})
    assert page.status == 200 and "Vos demandes ont été traitées" in page.text
    assert page.text.count("Acceptée") == 3 and "/reservations/demandes/" in page.url
    await parent.close()
