"""Accounts for the rentrée load test: staff create N families of two children (public API), each signs in,
renews its initial password and accepts the CGU as a parent would, and the accounts are written as CSV
(`identifiant,mot_de_passe`) for `loadtest/locustfile.py`. `--activities` first opens a canteen and an APS
for the next three months (a bare stack; `make run`'s demo already has its activities).

    uv run python -m loadtest.seed --host http://127.0.0.1:8080 --families 50 --out var/loadtest-accounts.csv
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import aiohttp

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
INITIAL = "Rentree-Initiale-2027"
PASSWORD = "Rentree-Parents-2027"


class Staff:
    def __init__(self, host: str):
        self.host, self.http, self.csrf = host, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)), ""

    async def login(self, identifiant: str, password: str) -> dict:
        async with self.http.post(self.host + "/api/v1/session",
                                  json={"identifiant": identifiant, "mot_de_passe": password}) as resp:
            if resp.status != 201:
                raise SystemExit(f"staff sign-in refused ({resp.status}): {await resp.text()}")
            data = await resp.json()
        self.csrf = data["csrf_token"]
        return data

    async def call(self, method: str, path: str, body=None, expect: int = 201) -> dict:
        async with self.http.request(method, self.host + path, json=body, headers={"X-CSRF-Token": self.csrf}) as r:
            data = await r.json()
            if r.status != expect:
                raise RuntimeError(f"{method} {path}: {r.status} {data}")
            return data


async def open_activities(staff: Staff, structure_id: str) -> None:
    """A canteen (unlimited) and an APS with 60 places, open on school days for three months."""
    tag = uuid.uuid4().hex[:4]
    start = date.today().replace(day=1)
    end = (start + timedelta(days=100)).replace(day=1) - timedelta(days=1)
    for name, t0, t1, extra in (("Restauration scolaire", "11:30", "13:30", {}),
                                ("APS soir", "16:30", "18:30", {"capacity": 60})):
        activity = await staff.call("POST", "/api/v1/booking/activities", {
            "structure_id": structure_id, "name": f"{name} {tag}", "start_time": t0, "end_time": t1, **extra})
        await staff.call("POST", f"/api/v1/booking/activities/{activity['id']}/openings", {
            "period": "all", "start": start.isoformat(), "end": end.isoformat(), "weekdays": [0, 1, 3, 4]})


async def onboard(host: str, identifiant: str) -> None:
    """First sign-in as a parent does it: the new password, then the CGU and RGPD consents."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async def form(path: str, fields: dict) -> str:
            async with http.get(host + path) as resp:
                token = CSRF_RE.search(await resp.text())
            async with http.post(host + path, data={**fields, "csrf": token.group(1) if token else ""}) as resp:
                return await resp.text()

        await form("/connexion", {"identifiant": identifiant, "mot_de_passe": INITIAL})
        await form("/mise-a-jour-securite", {"nouveau": PASSWORD, "confirmation": PASSWORD})
        await form("/consentements", {"accepte_rgpd": "oui", "accepte_cgu": "oui"})
        async with http.get(host + "/") as resp:
            if resp.url.path in ("/connexion", "/mise-a-jour-securite", "/consentements"):
                raise RuntimeError(f"{identifiant}: first sign-in not completed (at {resp.url.path})")


async def seed(host: str, families: int, staff_login: tuple[str, str], structure_id: str | None,
               activities: bool, out: Path) -> list[tuple[str, str]]:
    staff = Staff(host)
    try:
        me = await staff.login(*staff_login)
        structure_id = structure_id or me["structures"][0]
        if activities:
            await open_activities(staff, structure_id)
        accounts = []
        for i in range(families):
            identifiant = f"RENTREE-{uuid.uuid4().hex[:8]}"
            await staff.call("POST", "/api/v1/families", {
                "identifiant": identifiant, "responsable": {"first_name": "Camille", "last_name": f"RENTREE{i}"},
                "emails": [f"{identifiant.lower()}@example.fr"], "structure_id": structure_id,
                "initial_password": INITIAL, "children": [
                    {"first_name": "Léo", "last_name": f"RENTREE{i}", "birth_date": "2017-03-01"},
                    {"first_name": "Zoé", "last_name": f"RENTREE{i}", "birth_date": "2019-05-02"}]})
            accounts.append(identifiant)
        for start in range(0, len(accounts), 10):
            await asyncio.gather(*(onboard(host, a) for a in accounts[start:start + 10]))
    finally:
        await staff.http.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["identifiant", "mot_de_passe"])
        writer.writerows((a, PASSWORD) for a in accounts)
    return [(a, PASSWORD) for a in accounts]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m loadtest.seed", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="http://127.0.0.1:8080")
    p.add_argument("--families", type=int, default=50)
    p.add_argument("--staff", default="agent.carteville")
    p.add_argument("--staff-password", default="Demo-Agent-2027")
    p.add_argument("--structure", default=None, help="default: the staff member's first structure")
    p.add_argument("--activities", action="store_true", help="open a canteen and an APS first (bare stack)")
    p.add_argument("--out", type=Path, default=Path("var/loadtest-accounts.csv"))
    a = p.parse_args(argv)
    accounts = asyncio.run(seed(a.host, a.families, (a.staff, a.staff_password), a.structure, a.activities, a.out))
    print(f"{len(accounts)} comptes famille prêts dans {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
