"""Secrets that travel in URLs and mails stay out of the logs and do not stay at rest: the request logs
of the gateway and of every service name the route's template, never the path that carries a reset
link or a calendar feed token; once the reset mail is sent, neither auth's outbox nor any table of
notify holds the link (real PostgreSQL, RabbitMQ and SMTP catcher)."""

from __future__ import annotations

import logging
import re

import asyncpg
import pytest

from tests.conftest import eventually
from tests.e2e.test_accounts import GOOD, new_family, reset_link
from tests.e2e.test_bookings import Api
from tests.e2e.test_bookings import new_family as new_booking_family
from tests.portal import portal


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("secrets")) as p:
        yield p


def _request_lines(caplog) -> list[dict]:
    return [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "request"]


async def _reset_mail(site, address: str):
    async def mail():
        found = [m for m in site.catcher.messages if address in m.to]
        return found[-1] if found else None

    return await eventually(mail)


async def test_feed_and_reset_tokens_never_logged_nor_traced(site, caplog, spans):
    caplog.set_level(logging.INFO)
    spans.clear()
    staff = Api(site.url)
    await staff.login("agent.carteville", "Demo-Agent-2027")
    parent, _family = await new_booking_family(site, staff, children=1)
    feed_token = (await parent.call("POST", "/api/v1/booking/feed", expect=201))["token"]
    async with parent.http.get(f"{site.url}/calendrier/{feed_token}.ics?jeton={feed_token}") as resp:
        assert resp.status == 200

    identifiant, _ = await new_family(site, emails=("journal@example.fr",))
    b = site.browser()
    await b.get("/reinitialisation")
    await b.post("/reinitialisation", {"identifiant": identifiant, "courriel": "journal@example.fr"})
    link = reset_link(await _reset_mail(site, "journal@example.fr"))
    reset_token = link.rsplit("/", 1)[1]
    assert (await b.get(link)).status == 200
    page = await b.post(link, {"nouveau": GOOD, "confirmation": GOOD + "x"})  # refused: the link stays valid
    assert page.status == 422
    await b.get(f"/mot-de-passe/{reset_token}")  # a 404, logged too
    await staff.close()
    await parent.close()

    lines = _request_lines(caplog)
    logged = "\n".join(str(r.msg) + str(r.args or "") + (r.exc_text or "") for r in caplog.records)
    assert feed_token not in logged and reset_token not in logged
    paths = {line["path"] for line in lines}
    # the gateway's and booking's routes, by template
    assert {"/calendrier/{token}.ics", "/reinitialisation/{token}", "/v1/feed/{token}", "/"} <= paths, paths
    assert "unmatched" in paths  # the unknown address, without its path
    assert not any("?" in p for p in paths)

    # the traces (server spans of the gateway and the services, the gateway's client spans) neither
    traced = "\n".join(f"{span.name} {dict(span.attributes or {})}" for span in spans.get_finished_spans())
    assert "/calendrier/{token}.ics" in traced and "/v1/feed/" in traced
    assert feed_token not in traced and reset_token not in traced


async def test_reset_link_not_at_rest_once_sent(site):
    identifiant, _ = await new_family(site, emails=("repos@example.fr",))
    b = site.browser()
    await b.get("/reinitialisation")
    await b.post("/reinitialisation", {"identifiant": identifiant, "courriel": "repos@example.fr"})
    token = reset_link(await _reset_mail(site, "repos@example.fr")).rsplit("/", 1)[1]
    notify_db = re.sub(r"auth$", "notify", site.auth_db)

    async def nowhere(dsn: str) -> list[str]:
        conn = await asyncpg.connect(dsn)
        try:
            tables = [r["table_name"] for r in await conn.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE'")]
            return [t for t in tables
                    if await conn.fetchval(f'SELECT count(*) FROM "{t}" AS t WHERE strpos(t::text, $1) > 0', token)]
        finally:
            await conn.close()

    async def scrubbed():
        return await nowhere(site.auth_db) == [] and await nowhere(notify_db) == []

    await eventually(scrubbed, timeout=10)
    conn = await asyncpg.connect(site.auth_db)
    try:  # the command's envelope stays for audits, its payload does not
        row = await conn.fetchrow("SELECT sent_at, body FROM outbox WHERE routing_key = 'notify.send.v1' "
                                  "ORDER BY id DESC LIMIT 1")
    finally:
        await conn.close()
    assert row["sent_at"] is not None and '"type": "notify.send"' in row["body"]
    conn = await asyncpg.connect(notify_db)
    try:
        delivery = await conn.fetchrow("SELECT status, subject, body_text, body_html FROM deliveries "
                                       "WHERE 'repos@example.fr' = ANY(recipients)")
    finally:
        await conn.close()
    assert delivery["status"] == "sent" and delivery["subject"]
    assert "non conservé" in delivery["body_text"] and delivery["body_html"] is None
    # and the link still works: only the copies at rest are gone
    page = await b.post(f"/reinitialisation/{token}", {"nouveau": GOOD, "confirmation": GOOD})
    assert page.status == 200, page.text
