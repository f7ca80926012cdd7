"""Accounts and sign-in through the gateway, as a parent and a staff member would, on the real
PostgreSQL and RabbitMQ, with the mail read back from the catcher."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import uuid
from datetime import date

import pytest

from kit import identity as ident
from services.auth import demo
from services.auth.domain.families import ImportedChild, ImportedFamily, ImportedGuardian
from services.auth.events import PRODUCER
from services.auth.hashing import PasswordHasher
from services.auth.service.families import upsert_family
from services.auth.store import Store
from tests.conftest import METRICS_TOKEN, SECRET, eventually
from tests.portal import portal

INITIAL = "Initial-Pass-2026"
GOOD = "Cantine-Mercredi-2027"


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("portal")) as p:
        yield p


async def new_family(site, *, emails=("parent@example.fr",), children=1,
                     identifiant_prefix: str = "FAM-") -> tuple[str, uuid.UUID]:
    """A fresh family of its own for each test (nothing shared, nothing throttled by another test)."""
    identifiant = f"{identifiant_prefix}{uuid.uuid4().hex[:8]}"
    conn = await site.db()
    try:
        async with conn.transaction():
            outcome = await upsert_family(conn, Store(None), PRODUCER, PasswordHasher(), ImportedFamily(
                identifiant=identifiant,
                guardians=(ImportedGuardian("Jean-Paul", "DUPONT", 1),),
                emails=tuple(emails), structure_id=demo.DEMO_STRUCTURE_ID, initial_password=INITIAL,
                children=tuple(ImportedChild(f"Enfant{i}", "DUPONT", date(2018, 1, 1 + i),
                                             demo.DEMO_STRUCTURE_ID if i == 0 else demo.DEMO_SECOND_STRUCTURE_ID)
                               for i in range(children)),
                lines=()))
    finally:
        await conn.close()
    return identifiant, outcome.family_id


async def signed_in_parent(site, **kwargs):
    """A family past its first login and its consents."""
    identifiant, family_id = await new_family(site, **kwargs)
    b = site.browser()
    await b.login(identifiant, INITIAL)
    await b.post("/mise-a-jour-securite", {"nouveau": GOOD, "confirmation": GOOD})
    await b.get("/consentements")
    await b.post("/consentements", {"accepte_rgpd": "oui", "accepte_cgu": "oui"})
    return b, identifiant, family_id


# -- first login ------------------------------------------------------------------------------------
async def test_first_login_password_rules_then_rgpd_and_cgu(site):
    identifiant, _ = await new_family(site, children=2)
    b = site.browser()
    page = await b.get("/connexion")
    for label in ("Authentification", "Votre identifiant", "Mot de passe", "Se connecter",
                  "Vous avez oublié ou perdu votre mot de passe ?", "Réinitialiser votre mot de passe"):
        assert label in page.text

    page = await b.login(identifiant, INITIAL)
    assert page.url.endswith("/mise-a-jour-securite")
    assert "Mise à jour de sécurité : Mon mot de passe" in page.text
    assert "Afin de sécuriser votre compte, vous devez réinitialiser votre mot de passe." in page.text
    # nothing else is reachable before the new password
    assert (await b.get("/profil")).url.endswith("/mise-a-jour-securite")
    assert (await b.get("/")).url.endswith("/mise-a-jour-securite")

    cases = {
        "Cour-1a": "Au minimum 8 caractères alpha-numériques (symboles autorisés)",
        "SANS-MINUSCULE-2027": "Au moins 1 lettre en minuscule",
        "sans-majuscule-2027": "Au moins 1 lettre en majuscule",
        "Sans-Chiffre-Du-Tout": "Au moins 1 chiffre",
        "Beaucoup-Trop-Long-Pour-Le-Portail-2027": "Au maximum 30 caractères",
    }
    for password, rule in cases.items():
        page = await b.post("/mise-a-jour-securite", {"nouveau": password, "confirmation": password})
        assert page.status == 422
        assert f"Le mot de passe doit respecter la règle : « {rule} »" in page.text
    page = await b.post("/mise-a-jour-securite", {"nouveau": "Password1", "confirmation": "Password1"})
    assert "Ce mot de passe est trop courant" in page.text
    page = await b.post("/mise-a-jour-securite", {"nouveau": GOOD, "confirmation": GOOD + "x"})
    assert "Les deux mots de passe saisis ne sont pas identiques." in page.text
    page = await b.post("/mise-a-jour-securite", {"nouveau": INITIAL, "confirmation": INITIAL})
    assert "différent de l&#39;ancien" in page.text

    page = await b.post("/mise-a-jour-securite", {"nouveau": GOOD, "confirmation": GOOD})
    assert page.status == 200
    assert "✓ Le mot de passe a bien été enregistré" in page.text
    assert "✓ J'accède à mon portail Familles" in page.text and "✗ Annuler et quitter" in page.text

    page = await b.get("/consentements")
    assert "Protection des données personnelles (RGPD)" in page.text
    assert "Conditions générales d'utilisation du portail" in page.text
    assert (await b.get("/profil")).url.endswith("/consentements")
    page = await b.post("/consentements", {"accepte_rgpd": "oui"})
    assert page.status == 422 and "Vous devez cocher les cases" in page.text
    page = await b.post("/consentements", {"accepte_rgpd": "oui", "accepte_cgu": "oui"})
    assert page.url.endswith("/")
    assert "Bienvenue sur le Portail Famille de la Mairie de CarteVille." in page.text
    # the header: name, structure drop-down (children in two structures), last update, sign-out
    assert "DUPONT Jean-Paul" in page.text and "Se déconnecter" in page.text
    assert '<select id="choix-structure"' in page.text and "Accueil de loisirs du Bourg" in page.text
    assert "Dernière mise à jour :" in page.text

    conn = await site.db()
    try:
        rows = await conn.fetch(
            "SELECT c.kind, c.version, c.accepted_at FROM consents c JOIN accounts a ON a.id = c.account_id "
            "WHERE a.login = $1 ORDER BY kind", identifiant)
        stored = await conn.fetchval("SELECT password_hash FROM accounts WHERE login = $1", identifiant)
    finally:
        await conn.close()
    assert [(r["kind"], r["version"]) for r in rows] == [("cgu", 1), ("rgpd", 1)]
    assert all(r["accepted_at"] is not None for r in rows)
    assert stored.startswith("$argon2id$") and "m=19456,t=2,p=1" in stored

    # switching structure from the drop-down
    second = str(demo.DEMO_SECOND_STRUCTURE_ID)
    page = await b.post("/structure", {"structure": second, "suite": "/"})
    assert "L'accueil de loisirs est ouvert tous les mercredis." in page.text
    page = await b.post("/structure", {"structure": str(uuid.uuid4()), "suite": "/"})
    assert page.status == 403


async def test_a_new_cgu_version_is_asked_again_at_next_visit(site):
    b, identifiant, _ = await signed_in_parent(site)
    admin = site.browser()
    await admin.login("admin.portail", "Demo-Admin-2027")  # demo admin, still with its initial password
    async with admin.http.post(admin.base + "/api/v1/session", json={
            "identifiant": "admin.portail", "mot_de_passe": "Demo-Admin-2027"}) as resp:
        csrf = (await resp.json())["csrf_token"]
    async with admin.http.post(admin.base + "/api/v1/legal/cgu", headers={"X-CSRF-Token": csrf},
                               json={"title": "Conditions générales d'utilisation du portail",
                                     "body_html": "<p>Nouvelle version des conditions.</p>"}) as resp:
        assert resp.status == 201
        version = (await resp.json())["version"]
    page = await b.get("/")
    assert page.url.endswith("/consentements")
    assert "Nouvelle version des conditions." in page.text and "RGPD" not in page.text.split("<main")[1]
    page = await b.post("/consentements", {"accepte_cgu": "oui"})
    assert page.url.endswith("/")
    conn = await site.db()
    try:
        versions = await conn.fetch("SELECT kind, version FROM consents c JOIN accounts a ON a.id = c.account_id "
                                    "WHERE a.login = $1 AND kind = 'cgu' ORDER BY version", identifiant)
    finally:
        await conn.close()
    assert [r["version"] for r in versions] == [1, version]


async def test_security_update_flag_forces_a_new_password(site):
    b, _identifiant, family_id = await signed_in_parent(site)
    staff = site.browser()
    async with staff.http.post(staff.base + "/api/v1/session", json={
            "identifiant": "agent.carteville", "mot_de_passe": "Demo-Agent-2027"}) as resp:
        csrf = (await resp.json())["csrf_token"]
    async with staff.http.post(f"{staff.base}/api/v1/families/{family_id}/security-update",
                               headers={"X-CSRF-Token": csrf}) as resp:
        assert resp.status == 204
    page = await b.get("/")
    assert page.url.endswith("/mise-a-jour-securite")


# -- reset ------------------------------------------------------------------------------------------
def reset_link(mail) -> str:
    return re.search(r"/reinitialisation/[A-Za-z0-9_-]+", mail.text).group(0)


async def test_reset_by_mail_link_used_once_and_sessions_ended(site):
    b, identifiant, _ = await signed_in_parent(site, emails=("maman@example.fr", "papa@example.fr"))
    other_device = site.browser()
    await other_device.login(identifiant, GOOD)
    assert "DUPONT Jean-Paul" in (await other_device.get("/")).text

    anonymous = site.browser()
    page = await anonymous.get("/reinitialisation")
    for label in ("Réinitialisation de mot de passe", "Votre identifiant :", "Votre adresse courriel :", "Valider"):
        assert label in page.text
    page = await anonymous.post("/reinitialisation", {"identifiant": identifiant, "courriel": "PAPA@example.fr"})
    assert "Si les informations saisies sont correctes" in page.text

    async def mail_to_papa():
        return [m for m in site.catcher.messages if "papa@example.fr" in m.to and identifiant in m.text]

    [mail] = await eventually(mail_to_papa)
    assert mail.subject == "Portail Famille : réinitialisation de votre mot de passe"
    link = reset_link(mail)

    # a second request kills the first link
    await anonymous.post("/reinitialisation", {"identifiant": identifiant, "courriel": "papa@example.fr"})

    async def two_mails():
        found = await mail_to_papa()
        return found if len(found) == 2 else None

    first, second = await eventually(two_mails)
    assert reset_link(first) == link
    new_link = reset_link(second)
    assert (await anonymous.get(link)).status == 410

    page = await anonymous.get(new_link)
    assert page.status == 200 and "Saisir le nouveau mot de passe" in page.text
    page = await anonymous.post(new_link, {"nouveau": "court", "confirmation": "court"})
    assert page.status == 422 and "Au minimum 8 caractères" in page.text
    page = await anonymous.post(new_link, {"nouveau": "Nouveau-Secret-2027", "confirmation": "Nouveau-Secret-2027"})
    assert "Le mot de passe a bien été enregistré" in page.text
    # used once
    assert (await anonymous.get(new_link)).status == 410
    page = await anonymous.post(new_link, {"nouveau": "Encore-Autre-2027", "confirmation": "Encore-Autre-2027"})
    assert page.status == 410
    # every session of the account ended
    assert (await b.get("/profil")).url.split("?")[0].endswith("/connexion")
    assert (await other_device.get("/profil")).url.split("?")[0].endswith("/connexion")
    # the new password works, the old one no longer
    assert (await site.browser().login(identifiant, GOOD)).url.endswith("/connexion")
    assert (await site.browser().login(identifiant, "Nouveau-Secret-2027")).url.endswith("/")


async def test_expired_reset_link_is_refused(site):
    identifiant, _ = await new_family(site, emails=("expire@example.fr",))
    anonymous = site.browser()
    await anonymous.get("/reinitialisation")
    await anonymous.post("/reinitialisation", {"identifiant": identifiant, "courriel": "expire@example.fr"})

    async def mail():
        return [m for m in site.catcher.messages if "expire@example.fr" in m.to and identifiant in m.text]

    [message] = await eventually(mail)
    conn = await site.db()
    try:
        await conn.execute("UPDATE reset_tokens SET expires_at = now() - interval '1 second' "
                           "WHERE account_id = (SELECT id FROM accounts WHERE login = $1)", identifiant)
    finally:
        await conn.close()
    page = await anonymous.get(reset_link(message))
    assert page.status == 410 and "Lien expiré" in page.text


async def test_reset_reveals_nothing_about_accounts(site):
    identifiant, _ = await new_family(site, emails=("vrai@example.fr",))
    b = site.browser()
    await b.get("/reinitialisation")
    answers = []
    for login, email in ((identifiant, "vrai@example.fr"), (identifiant, "faux@example.fr"),
                         ("INCONNU-999", "vrai@example.fr")):
        started = time.monotonic()
        page = await b.post("/reinitialisation", {"identifiant": login, "courriel": email})
        answers.append((page.status, page.text.split("<main")[1].split("</main>")[0], time.monotonic() - started))
    assert len({(status, body) for status, body, _ in answers}) == 1
    # each answer waits for the same floor, matched or not
    assert all(elapsed >= 0.4 for _, _, elapsed in answers)
    await asyncio.sleep(1)
    assert not [m for m in site.catcher.messages if "faux@example.fr" in m.to]


# -- throttling ---------------------------------------------------------------------------------------
async def test_failed_logins_are_throttled_with_a_french_retry_time(site):
    identifiant, _ = await new_family(site)
    b = site.browser()
    for _ in range(4):
        page = await b.login(identifiant, "Mauvais-Mot-2027")
        assert page.status == 401 and "Identifiant ou mot de passe incorrect." in page.text
        assert "réessayez" not in page.text
    page = await b.login(identifiant, "Mauvais-Mot-2027")
    assert page.status == 429
    assert re.search(r"réessayez à partir de \d\d:\d\d \(heure de Paris\)", page.text)
    # even the right password waits
    page = await b.login(identifiant, INITIAL)
    assert page.status == 429
    # an unknown identifiant is treated exactly the same (nothing to learn)
    unknown = f"INCONNU-{uuid.uuid4().hex[:6]}"
    for _ in range(4):
        page = await b.login(unknown, "Mauvais-Mot-2027")
        assert page.status == 401 and "Identifiant ou mot de passe incorrect." in page.text
    assert (await b.login(unknown, "Mauvais-Mot-2027")).status == 429
    # once the delay is over, a success resets the count
    conn = await site.db()
    try:
        await conn.execute("UPDATE login_throttle SET blocked_until = now() - interval '1 second' WHERE key = $1",
                           f"login:{identifiant.lower()}")
    finally:
        await conn.close()
    assert (await b.login(identifiant, INITIAL)).url.endswith("/mise-a-jour-securite")
    conn = await site.db()
    try:
        assert await conn.fetchval("SELECT count(*) FROM login_throttle WHERE key = $1",
                                   f"login:{identifiant.lower()}") == 0
    finally:
        await conn.close()


# -- sessions ------------------------------------------------------------------------------------------
async def test_session_cookie_is_opaque_httponly_lax_and_new_at_login(site):
    identifiant, _ = await new_family(site)
    b = site.browser()
    await b.get("/connexion")
    b.http.cookie_jar.update_cookies({"portail_session": "fixe-par-un-attaquant-0123456789"})
    async with b.http.post(b.base + "/connexion", allow_redirects=False,
                           data={"identifiant": identifiant, "mot_de_passe": INITIAL, "csrf": b.csrf}) as resp:
        set_cookie = resp.headers.getall("Set-Cookie")
    session_cookie = next(c for c in set_cookie if c.startswith("portail_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    token = b.cookie("portail_session")
    assert token != "fixe-par-un-attaquant-0123456789" and len(token) >= 32
    conn = await site.db()
    try:
        stored = await conn.fetchval("SELECT token_hash FROM sessions s JOIN accounts a ON a.id = s.account_id "
                                     "WHERE a.login = $1", identifiant)
        plain = await conn.fetchval("SELECT count(*) FROM sessions WHERE position($1::bytea in token_hash) > 0",
                                    token.encode())
    finally:
        await conn.close()
    assert bytes(stored) == hashlib.sha256(token.encode()).digest() and plain == 0


async def test_secure_flag_when_configured(amqp_url, db_prefix, tmp_path):
    from aiohttp import web

    from services.gateway.app import build_app
    from services.gateway.settings import GatewaySettings
    from services.gateway.web.session import set_session_cookie

    app = build_app(GatewaySettings(identity_secret=SECRET, metrics_token=METRICS_TOKEN))
    request = type("R", (), {"app": app, "pop": lambda *a: None})()
    response = web.Response()
    set_session_cookie(request, response, "x" * 43)
    cookie = response.cookies["portail_session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


async def test_idle_and_absolute_expiry_and_logout(site):
    b, identifiant, _ = await signed_in_parent(site)
    conn = await site.db()
    try:
        await conn.execute("UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE account_id = "
                           "(SELECT id FROM accounts WHERE login = $1)", identifiant)
        site.let_session_copies_expire()  # changed behind the gateway's back: seen once its copy expires
        assert (await b.get("/profil")).url.split("?")[0].endswith("/connexion")
        await b.login(identifiant, GOOD)
        assert (await b.get("/profil")).status == 200
        await conn.execute("UPDATE sessions SET created_at = now() - interval '13 hours' WHERE account_id = "
                           "(SELECT id FROM accounts WHERE login = $1)", identifiant)
        site.let_session_copies_expire()
        assert (await b.get("/profil")).url.split("?")[0].endswith("/connexion")
        await b.login(identifiant, GOOD)
        token = b.cookie("portail_session")
        await b.get("/profil")
        page = await b.post("/deconnexion", {})
        assert page.url.endswith("/connexion")
        assert await conn.fetchval("SELECT count(*) FROM sessions WHERE token_hash = $1",
                                   hashlib.sha256(token.encode()).digest()) == 0
    finally:
        await conn.close()
    replay = site.browser()  # signed out through this gateway: refused at once, its copy dropped
    replay.http.cookie_jar.update_cookies({"portail_session": token})
    assert (await replay.get("/profil")).url.split("?")[0].endswith("/connexion")


async def test_changing_password_ends_other_sessions_but_not_this_one(site):
    b, identifiant, _ = await signed_in_parent(site)
    other = site.browser()
    await other.login(identifiant, GOOD)
    await b.get("/profil")
    page = await b.post("/profil/mot-de-passe", {"actuel": "Faux-Actuel-2027", "nouveau": "Autre-Secret-2028",
                                                 "confirmation": "Autre-Secret-2028"})
    assert page.status == 422 and "Le mot de passe actuel saisi est incorrect." in page.text
    page = await b.post("/profil/mot-de-passe", {"actuel": GOOD, "nouveau": "Autre-Secret-2028",
                                                 "confirmation": "Autre-Secret-2028"})
    assert "✓ Le mot de passe a bien été enregistré" in page.text
    assert (await b.get("/profil")).status == 200
    assert (await other.get("/profil")).url.split("?")[0].endswith("/connexion")


async def test_profile_emails_separated_by_semicolons(site):
    b, _identifiant, _family_id = await signed_in_parent(site)
    await b.get("/profil")
    page = await b.post("/profil/courriels", {"courriels": "premier@example.fr; pas-une-adresse",
                                              "mot_de_passe_courriels": GOOD})
    assert page.status == 422 and "Adresse courriel invalide : « pas-une-adresse »" in page.text
    page = await b.post("/profil/courriels", {"courriels": "premier@example.fr ; second@example.fr",
                                              "mot_de_passe_courriels": GOOD})
    assert "Vos adresses courriel ont bien été enregistrées" in page.text
    assert 'value="premier@example.fr; second@example.fr"' in page.text


# -- CSRF -----------------------------------------------------------------------------------------------
async def test_forms_without_csrf_token_are_refused(site):
    b, identifiant, _ = await signed_in_parent(site)
    page = await b.post("/profil/courriels", {"courriels": "pirate@example.fr"}, csrf=False)
    assert page.status == 403 and "Formulaire expiré" in page.text
    page = await b.post("/profil/courriels", {"courriels": "pirate@example.fr", "csrf": "faux"})
    assert page.status == 403
    page = await b.post("/deconnexion", {}, csrf=False)
    assert page.status == 403
    anonymous = site.browser()
    page = await anonymous.post("/connexion", {"identifiant": identifiant, "mot_de_passe": GOOD}, csrf=False)
    assert page.status == 403
    async with b.http.put(b.base + "/api/v1/structures/x/news", json={"news_html": "x"}) as resp:
        assert resp.status == 403
        assert (await resp.json())["title"] == "Accès refusé"
    # the account is unchanged
    assert "parent@example.fr" in (await b.get("/profil")).text


# -- authorisation -----------------------------------------------------------------------------------
async def test_a_parent_cannot_see_another_family(site):
    b, _, own_family = await signed_in_parent(site)
    _, other_family = await new_family(site)
    async with b.http.get(f"{b.base}/api/v1/families/{own_family}") as resp:
        assert resp.status == 200
    async with b.http.get(f"{b.base}/api/v1/families/{other_family}") as resp:
        assert resp.status == 404
        assert (await resp.json())["detail"] == "Famille introuvable."
    async with b.http.post(f"{b.base}/api/v1/families/{other_family}/security-update",
                           headers={"X-CSRF-Token": b.csrf}) as resp:
        assert resp.status == 403


async def test_services_refuse_missing_expired_forged_or_foreign_identity(site):
    import aiohttp

    _, family_a = await new_family(site)
    _, family_b = await new_family(site)
    parent_a = ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=family_a)
    url = f"{site.auth_url}/v1/families/{family_b}"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 401
        async with http.get(url, headers={ident.HEADER: ident.issue(parent_a, SECRET, ttl_seconds=-5)}) as resp:
            assert resp.status == 401
        forged = ident.issue(parent_a.model_copy(update={"family_id": family_b}), "x" * 40)
        async with http.get(url, headers={ident.HEADER: forged}) as resp:
            assert resp.status == 401
        async with http.get(url, headers={ident.HEADER: ident.issue(parent_a, SECRET)}) as resp:
            assert resp.status == 404
        async with http.get(f"{site.auth_url}/v1/families/{family_a}",
                            headers={ident.HEADER: ident.issue(parent_a, SECRET)}) as resp:
            assert resp.status == 200


# -- staff: families one by one and by CSV ------------------------------------------------------------
async def staff_api(site):
    staff = site.browser()
    async with staff.http.post(staff.base + "/api/v1/session", json={
            "identifiant": "agent.carteville", "mot_de_passe": "Demo-Agent-2027"}) as resp:
        assert resp.status == 201
        staff.csrf = (await resp.json())["csrf_token"]
    return staff


async def test_csv_import_reports_bad_lines_and_creates_nothing_twice(site):
    staff = await staff_api(site)
    tag = uuid.uuid4().hex[:6].upper()
    csv_text = (
        "identifiant;responsable_nom;responsable_prenom;emails;structure;enfant_prenom;enfant_nom;enfant_naissance\n"
        f"MARTIN-{tag};MARTIN;Sophie;sophie.martin@example.fr;Mairie de CarteVille;Lina;MARTIN;12/03/2017\n"
        f"MARTIN-{tag};MARTIN;Sophie;sophie.martin@example.fr;Mairie de CarteVille;Noé;MARTIN;05/11/2019\n"
        f"BERNARD-{tag};BERNARD;Luc;luc@;Mairie de CarteVille;Emma;BERNARD;01/02/2016\n"
        f"PETIT-{tag};PETIT;Anne;anne.petit@example.fr;Mairie de Trifouilly;;;\n"
        f"ROUX-{tag};ROUX;Paul;paul.roux@example.fr;Mairie de CarteVille;Jade;ROUX;31/02/2018\n"
    ).encode("utf-8-sig")
    headers = {"X-CSRF-Token": staff.csrf, "Content-Type": "text/csv"}
    async with staff.http.post(staff.base + "/api/v1/families/import", data=csv_text, headers=headers) as resp:
        assert resp.status == 200
        report = await resp.json()
    assert [c["identifiant"] for c in report["created"]] == [f"MARTIN-{tag}"]
    assert report["created"][0]["enfants"] == 2 and report["created"][0]["initial_password"]
    rejected = {r["ligne"]: r["motif"] for r in report["rejected"]}
    assert "adresse courriel invalide" in rejected[4]
    assert "structure inconnue : « Mairie de Trifouilly »" in rejected[5]
    assert "date de naissance invalide : « 31/02/2018 »" in rejected[6]

    async with staff.http.post(staff.base + "/api/v1/families/import", data=csv_text, headers=headers) as resp:
        again = await resp.json()
    assert again["created"] == [] and again["unchanged"] == [f"MARTIN-{tag}"]
    conn = await site.db()
    try:
        assert await conn.fetchval("SELECT count(*) FROM families WHERE identifiant = $1", f"MARTIN-{tag}") == 1
        assert await conn.fetchval("SELECT count(*) FROM children c JOIN families f ON f.id = c.family_id "
                                   "WHERE f.identifiant = $1", f"MARTIN-{tag}") == 2
    finally:
        await conn.close()
    # the imported family signs in with the password given to staff
    page = await site.browser().login(f"MARTIN-{tag}", report["created"][0]["initial_password"])
    assert page.url.endswith("/mise-a-jour-securite")

    async with staff.http.post(staff.base + "/api/v1/families/import", data=b"nom;prenom\nA;B\n",
                               headers=headers) as resp:
        assert resp.status == 422
        assert "identifiant" in (await resp.json())["detail"]


async def test_staff_creates_a_family_and_events_carry_no_contact_details_publicly(site, amqp_url):
    import json

    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    public = await channel.declare_queue(exclusive=True)
    internal = await channel.declare_queue(exclusive=True)
    await public.bind(await channel.get_exchange("portail.events"), routing_key="auth.#")
    await internal.bind(await channel.get_exchange("portail.internal"), routing_key="auth.#")

    staff = await staff_api(site)
    identifiant = f"LEROY-{uuid.uuid4().hex[:6]}"
    async with staff.http.post(staff.base + "/api/v1/families", headers={"X-CSRF-Token": staff.csrf}, json={
            "identifiant": identifiant, "responsable": {"first_name": "Claire", "last_name": "LEROY"},
            "emails": ["claire.leroy@example.fr"], "structure_id": str(demo.DEMO_STRUCTURE_ID),
            "children": [{"first_name": "Tom", "last_name": "LEROY", "birth_date": "2017-06-01"}]}) as resp:
        assert resp.status == 201
        created = await resp.json()
    async with staff.http.post(staff.base + "/api/v1/families", headers={"X-CSRF-Token": staff.csrf}, json={
            "identifiant": identifiant, "responsable": {"first_name": "Claire", "last_name": "LEROY"},
            "structure_id": str(demo.DEMO_STRUCTURE_ID)}) as resp:
        assert resp.status == 409
    # staff of CarteVille cannot create a family in a structure they do not manage
    async with staff.http.post(staff.base + "/api/v1/families", headers={"X-CSRF-Token": staff.csrf}, json={
            "identifiant": f"X-{identifiant}", "responsable": {"first_name": "A", "last_name": "B"},
            "structure_id": str(demo.DEMO_SECOND_STRUCTURE_ID)}) as resp:
        assert resp.status == 403

    seen_public, seen_internal = [], []

    async def collect():
        for queue, seen in ((public, seen_public), (internal, seen_internal)):
            while (message := await queue.get(fail=False, no_ack=True)) is not None:
                seen.append(json.loads(message.body))
        return any(e["type"] == "auth.family_contacts" and e["payload"]["family_id"] == created["family_id"]
                   for e in seen_internal)

    await eventually(collect)
    await connection.close()
    mine = [e for e in seen_public if e["payload"].get("family_id") == created["family_id"]]
    assert {e["type"] for e in mine} == {"auth.account_created", "auth.family_changed"}
    changed = next(e for e in mine if e["type"] == "auth.family_changed")
    assert changed["version"] == 2 and len(changed["payload"]["children"]) == 1  # identifiers only
    assert "Tom" not in json.dumps(mine) and "2017-06-01" not in json.dumps(mine)
    private = next(e for e in seen_internal if e["type"] == "auth.family_changed"
                   and e["payload"]["family_id"] == created["family_id"])
    assert private["payload"]["children"][0]["first_name"] == "Tom"  # for the portal's own services
    public_text = json.dumps(seen_public)
    assert "claire.leroy@example.fr" not in public_text and "password" not in public_text
    assert all(e["type"] != "auth.family_contacts" for e in seen_public)


async def test_no_secret_in_logs(site, caplog):
    from kit.logging import configure_logging

    configure_logging("tests", "DEBUG")  # even an operator's DEBUG level must not leak secrets
    caplog.set_level(logging.DEBUG)
    identifiant, _ = await new_family(site, emails=("secret@example.fr",))
    b = site.browser()
    await b.login(identifiant, INITIAL)
    await b.post("/mise-a-jour-securite", {"nouveau": GOOD, "confirmation": GOOD})
    token = b.cookie("portail_session")
    await b.get("/reinitialisation")
    await b.post("/reinitialisation", {"identifiant": identifiant, "courriel": "secret@example.fr"})

    async def mail():
        return [m for m in site.catcher.messages if "secret@example.fr" in m.to]

    [message] = await eventually(mail)
    link_token = reset_link(message).rsplit("/", 1)[1]
    logged = "\n".join(str(r.msg) + str(getattr(r, "args", "")) for r in caplog.records)
    configure_logging("tests", "INFO")
    for secret in (INITIAL, GOOD, token, link_token):
        assert secret not in logged


async def test_rehash_on_login_when_parameters_change(site):
    from argon2 import PasswordHasher as Argon2

    identifiant, _ = await new_family(site)
    weak = Argon2(time_cost=1, memory_cost=8192, parallelism=1).hash(INITIAL)
    conn = await site.db()
    try:
        await conn.execute("UPDATE accounts SET password_hash = $2 WHERE login = $1", identifiant, weak)
        await site.browser().login(identifiant, INITIAL)
        stored = await conn.fetchval("SELECT password_hash FROM accounts WHERE login = $1", identifiant)
    finally:
        await conn.close()
    assert stored != weak and "m=19456,t=2,p=1" in stored


async def test_failures_from_one_address_are_throttled_across_identifiants(site):
    """The per-address rule: many identifiants tried from one address slow that address down only."""
    import aiohttp

    anonymous = {ident.HEADER: ident.issue(ident.Identity.anonymous(), SECRET)}
    identifiant, _ = await new_family(site)
    attacker, neighbour = f"198.51.100.{uuid.uuid4().int % 250}", "203.0.113.9"
    async with aiohttp.ClientSession() as http:
        async def attempt(login, password, address):
            async with http.post(f"{site.auth_url}/v1/login", headers=anonymous, json={
                    "login": login, "password": password, "client_address": address}) as resp:
                return resp.status, await resp.json()

        for i in range(20):
            status, _ = await attempt(f"devine-{i}-{uuid.uuid4().hex[:4]}", "Mauvais-Mot-2027", attacker)
        assert status == 429
        status, body = await attempt(identifiant, INITIAL, attacker)
        assert status == 429 and "réessayez à partir de" in body["detail"]
        status, _ = await attempt(identifiant, INITIAL, neighbour)
        assert status == 201


async def test_assets_are_cached_pages_are_not(site):
    b = site.browser()
    async with b.http.get(b.base + "/static/portail.css") as resp:
        assert resp.status == 200 and resp.headers["Cache-Control"] == "public, max-age=86400"
    async with b.http.get(b.base + "/connexion") as resp:
        assert resp.headers["Cache-Control"] == "no-store"
