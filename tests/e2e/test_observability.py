"""One trace from the parent's click to the mail, across the gateway, booking, the outbox, RabbitMQ,
notify and billing (in-memory span exporter on the real stack); Prometheus metrics of the services."""

from __future__ import annotations

import uuid
from datetime import date

import aiohttp
import pytest

from services.auth import demo
from tests.conftest import METRICS_TOKEN, eventually
from tests.e2e.test_bookings import MONTH, MONTH_END, MONTH_KEY, Api, new_family, open_days
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("observability")) as p:
        yield p


def by_trace(spans, trace_id: int) -> list:
    return [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]


async def test_one_trace_from_click_to_mail_and_to_billing(site, spans):
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    activity = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": f"Sortie {uuid.uuid4().hex[:4]}", "start_time": "09:00",
        "end_time": "12:00", "capacity": 1}, expect=201))["id"]
    await staff.call("POST", f"/api/v1/booking/activities/{activity}/openings", {
        "weekdays": [2], "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()}, expect=201)
    first, fam1 = await new_family(site, staff, children=1)
    second, fam2 = await new_family(site, staff, children=1)
    cal = await first.call("POST", "/api/v1/booking/calendar", {"child_id": fam1["children"][0]["id"],
                                                               "month": MONTH_KEY, "activity_id": activity})
    day = open_days(cal)[0]
    line = {"activity_id": activity, "date": day, "action": "reserve"}
    await first.call("POST", "/api/v1/booking/basket/confirm", {"lines": [{**line, "child_id": fam1["children"][0]["id"]}]})
    await second.call("POST", "/api/v1/booking/basket/confirm", {"lines": [{**line, "child_id": fam2["children"][0]["id"]}]})

    # the click: the first family cancels, which promotes the second one, who is told by mail
    spans.clear()
    await first.call("POST", "/api/v1/booking/basket/confirm",
                     {"lines": [{**line, "child_id": fam1["children"][0]["id"], "action": "cancel"}]})
    address = f"{fam2['identifiant'].lower()}@example.fr"
    await eventually(lambda: _mail(site, address, "liste d'attente"), timeout=30)

    click = next(s for s in spans.get_finished_spans()
                 if s.kind.name == "SERVER"
                 and s.attributes.get("http.route", s.name).endswith("/api/v1/booking/basket/confirm")
                 or s.name == "POST /api/v1/booking/basket/confirm")

    async def whole_trace():
        names = [s.name for s in by_trace(spans, click.context.trace_id)]
        return names if "smtp send" in names else None

    names = await eventually(whole_trace, timeout=30)
    assert any(n.startswith("POST /v1/basket/confirm") for n in names), names      # booking's API
    assert "booking.waitlist_promoted.v1 publish" in names, names                  # the outbox relay
    assert "portail.internal.booking.waitlist_promoted.v1 process" in names, names  # notify's consumer
    assert "smtp send" in names                                                     # the mail itself

    # the night's transmission, started by a click, reaches billing and notify in the same trace
    admin = Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    spans.clear()
    await admin.call("POST", "/api/v1/booking/transmissions")

    async def billed():
        for root in spans.get_finished_spans():
            if root.name.startswith("POST /v1/transmissions"):
                trace_spans = by_trace(spans, root.context.trace_id)
                # the same event consumed twice in this trace: by billing and by notify
                consumed = [s.attributes.get("messaging.message.id") for s in trace_spans
                            if s.name == "portail.internal.booking.transmitted.v1 process"]
                if any(consumed.count(message_id) >= 2 for message_id in consumed):
                    return [s.name for s in trace_spans]
        return None

    names = await eventually(billed, timeout=30)
    assert "booking.transmitted.v1 publish" in names
    for api in (staff, first, second, admin):
        await api.close()


async def _mail(site, address: str, words: str):
    return [m for m in site.catcher.messages if address in m.to and words in m.subject]


async def test_services_expose_prometheus_metrics(site):
    async with aiohttp.ClientSession() as http:
        await http.get(f"{site.booking_url}/healthz")
        async with http.get(f"{site.booking_url}/metrics") as resp:
            assert resp.status == 200 and resp.content_type == "text/plain"
            text = await resp.text()
        async with http.get(f"{site.url}/metrics") as resp:
            assert resp.status == 401  # the gateway is public: no token, no metrics
        async with http.get(f"{site.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}) as resp:
            gateway = await resp.text()
    for metric in ("portail_http_requests_total", "portail_http_request_duration_seconds_bucket",
                   "portail_outbox_backlog{service=\"booking\"}", "portail_outbox_oldest_age_seconds",
                   "portail_dead_letter_messages{queue=\"booking.auth.family_changed.v1.dlq\",service=\"booking\"}",
                   "portail_events_consumed_total"):
        assert metric in text, metric
    assert 'service="gateway"' in gateway


def test_metrics_helpers_bound_the_route_label():
    from kit.metrics import route_of

    class Fake:
        class match_info:
            class route:
                resource = None

    assert route_of(Fake()) == "unmatched"
    assert date.today()  # keep the import used
