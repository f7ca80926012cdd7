"""The rentrée scenario for Locust: a parent signs in, opens the calendar of each child, fills a basket of
two children x ten days x two activities, reads the recap, confirms (following the waiting room's page when
it shows, as its refresh does), then opens the suivi. Accounts come from `loadtest/seed.py`'s CSV
(LOADTEST_ACCOUNTS, default var/loadtest-accounts.csv), one per simulated parent in turn.

    uv run locust -f loadtest/locustfile.py --headless -u 200 -r 20 -t 5m --host http://127.0.0.1:8080

Each simulated parent comes from an address of its own, as parents at home do: it sends
`X-Forwarded-For: 198.18.x.y` (RFC 2544's benchmarking range). A gateway believes it only from a trusted
proxy (PORTAIL_TRUSTED_PROXIES), so give the gateway the load generator's address as its proxy
(`PORTAIL_TRUSTED_PROXIES=127.0.0.1/32` for `make run`); otherwise every parent shares one address, and
sign-in throttling per address (20 attempts in flight or failed in a row) refuses them, as it should.
Behind a real ingress the header is ignored (the ingress appends the load generator's own address).

Every answer that is not the expected page is a failure (Locust counts them per request name); the custom
names "confirmation: directe" / "confirmation: après file d'attente" tell how parents were answered."""

from __future__ import annotations

import csv
import html
import itertools
import json
import os
import re
import time
from datetime import date

from locust import HttpUser, between, events, task

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
DEMANDE_RE = re.compile(r'name="demande" value="([^"]+)"')
WAITING = "Votre demande est dans la file d'attente"
DONE = "Vos demandes ont été traitées"
DAYS, ACTIVITIES, CHILDREN = 10, 2, 2
WAIT_LIMIT_S = float(os.environ.get("LOADTEST_WAIT_LIMIT", "600"))


def _accounts() -> list[tuple[str, str]]:
    path = os.environ.get("LOADTEST_ACCOUNTS", "var/loadtest-accounts.csv")
    with open(path, newline="") as f:
        return [(r["identifiant"], r["mot_de_passe"]) for r in csv.DictReader(f)]


ACCOUNTS: itertools.cycle | None = None
ADDRESSES = itertools.count()


def client_address(n: int) -> str:
    """The n-th simulated parent's address, in 198.18.0.0/15 (RFC 2544: reserved for benchmarks)."""
    n %= 2 ** 17
    return f"198.{18 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}"


@events.test_start.add_listener
def _load_accounts(environment, **_kwargs) -> None:
    global ACCOUNTS
    ACCOUNTS = itertools.cycle(_accounts())


def months_ahead(n: int) -> list[str]:
    today = date.today()
    return [f"{today.year + (today.month - 1 + i) // 12}-{(today.month - 1 + i) % 12 + 1:02d}" for i in range(n)]


class Parent(HttpUser):
    wait_time = between(1, 5)

    def on_start(self) -> None:
        self.identifiant, self.password = next(ACCOUNTS)
        self.csrf = ""
        self.client.headers["X-Forwarded-For"] = client_address(next(ADDRESSES))

    def _csrf(self, text: str) -> None:
        found = CSRF_RE.search(text)
        if found:
            self.csrf = found.group(1)

    def _fail(self, name: str, message: str) -> None:
        events.request.fire(request_type="SCENARIO", name=name, response_time=0, response_length=0,
                            exception=AssertionError(message), context={})

    def _mark(self, name: str, started: float, ended: float | None = None) -> None:
        events.request.fire(request_type="SCENARIO", name=name,
                            response_time=((ended or time.time()) - started) * 1000,
                            response_length=0, exception=None, context={})

    @task
    def rentree(self) -> None:
        self.client.cookies.clear()
        with self.client.get("/connexion", name="/connexion", catch_response=True) as r:
            self._csrf(r.text)
        with self.client.post("/connexion", name="/connexion [envoi]", catch_response=True, data={
                "identifiant": self.identifiant, "mot_de_passe": self.password, "csrf": self.csrf}) as r:
            if "/connexion" in r.url:
                said = re.search(r'class="erreur"[^>]*>([^<]+)', r.text)
                r.failure(f"connexion refusée ({self.identifiant}: {said.group(1).strip() if said else r.status_code})")
                return
            self._csrf(r.text)
        api = {"X-CSRF-Token": self.csrf}
        children = self.client.get("/api/v1/booking/children", name="/api/v1/booking/children").json()["children"]
        basket: list[dict] = []
        back = {}
        for child in children[:CHILDREN]:
            activities = child["activities"][:ACTIVITIES]
            for month in months_ahead(3):
                self.client.get(f"/reservations?enfant={child['id']}&mois={month}", name="/reservations [calendrier]")
                lines = []
                for activity in activities:
                    cal = self.client.post("/api/v1/booking/calendar", headers=api, name="/api/v1/booking/calendar",
                                           json={"child_id": child["id"], "month": month,
                                                 "activity_id": activity["id"]}).json()
                    days = [d["date"] for d in cal["days"] if "reserve" in d.get("actions", [])][:DAYS]
                    lines += [{"child_id": child["id"], "activity_id": activity["id"], "date": d,
                               "action": "reserve"} for d in days]
                if lines:
                    basket += lines
                    back = {"enfant": child["id"], "mois": month}
                    break
        if not basket:
            self._mark("panier vide (tout est déjà réservé)", time.time())
            return
        panier = json.dumps(basket)
        with self.client.post("/reservations/recapitulatif", name="/reservations/recapitulatif", catch_response=True,
                              data={"csrf": self.csrf, "panier": panier, **back}) as r:
            demande = DEMANDE_RE.search(r.text)
            if demande is None:
                r.failure("récapitulatif sans formulaire de validation")
                return
        started = time.time()
        with self.client.post("/reservations/confirmer", name="/reservations/confirmer", catch_response=True,
                              allow_redirects=False, data={"csrf": self.csrf, "panier": panier,
                                                           "demande": demande.group(1), **back}) as r:
            if r.status_code != 303:
                r.failure(f"validation : {r.status_code} au lieu d'une redirection")
                return
            location = r.headers["Location"]
        waited = False
        while True:
            with self.client.get(location, name="/reservations/demandes/[id]", catch_response=True) as r:
                text = html.unescape(r.text)
                if DONE in text:
                    break
                if WAITING not in text:
                    r.failure("ni résultat ni file d'attente")
                    return
            waited = True
            if time.time() - started > WAIT_LIMIT_S:
                self._fail("confirmation: sans réponse", f"toujours en file d'attente après {WAIT_LIMIT_S:.0f} s")
                return
            time.sleep(int(r.headers.get("Refresh", "2")))  # as the page's refresh does (2 to 30 s)
        answered = time.time()
        self.client.get("/reservations/suivi", name="/reservations/suivi")
        # counted once the scenario is whole (a run stopping in between leaves neither)
        self._mark("confirmation: après file d'attente" if waited else "confirmation: directe", started, answered)
