"""The administrator's Exploitation page on the whole stack: a projection broken on purpose is reported by
the consistency check in French, repaired by the resync button, then reported as conforming."""

from __future__ import annotations

import asyncpg
import pytest

from tests.conftest import eventually
from tests.portal import portal


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("consistency")) as p:
        yield p


async def test_admin_checks_repairs_and_checks_again(site):
    admin = site.browser()
    await admin.login("admin.portail", "Demo-Admin-2027")
    page = await admin.get("/gestion/exploitation")
    assert page.status == 200
    assert "Contrôle de cohérence" in page.text and "Aucun contrôle n'a encore été fait." in page.text

    # every copy filled and versioned first
    page = await admin.post("/gestion/exploitation/resynchronisation", {"famille": ""})
    assert page.status == 200 and "Resynchronisation demandée" in page.text, page.text[-2000:]

    booking = await asyncpg.connect(site.booking_db)
    try:
        await eventually(lambda: booking.fetchval("SELECT count(*) > 0 FROM projection_versions WHERE kind = 'families'"))
        family_id = await booking.fetchval("SELECT key::uuid FROM projection_versions WHERE kind = 'families' LIMIT 1")
        await eventually(lambda: booking.fetchval("SELECT count(*) > 0 FROM children WHERE family_id = $1", family_id))
        # broken on purpose: booking loses the family's children
        await booking.execute("DELETE FROM children WHERE family_id = $1", family_id)

        page = await admin.post("/gestion/exploitation/coherence", {})
        assert page.status == 200 and "Contrôle demandé" in page.text

        async def reported(text: str):
            found = await admin.get("/gestion/exploitation")
            return text in found.text and found

        page = await eventually(lambda: reported("booking : 1 enfant de la structure Mairie de CarteVille manque "
                                                 "dans la projection"), timeout=30)

        await admin.post("/gestion/exploitation/resynchronisation", {"famille": str(family_id)})
        await eventually(lambda: booking.fetchval("SELECT count(*) = 2 FROM children WHERE family_id = $1", family_id))
        await admin.post("/gestion/exploitation/coherence", {})

        async def all_conform():
            found = await admin.get("/gestion/exploitation")
            return "✗" not in found.text and found.text.count("conforme") >= 7 and found

        await eventually(all_conform, timeout=30)
    finally:
        await booking.close()


async def test_only_administrators_reach_the_buttons(site):
    staff = site.browser()
    await staff.login("agent.carteville", "Demo-Agent-2027")
    page = await staff.post("/gestion/exploitation/resynchronisation", {"famille": ""})
    assert page.status == 403
