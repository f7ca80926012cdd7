"""auth's transaction scripts over a fake store (no PostgreSQL): family creation and import (with the
refusal to reach another structure's family), sign-in throttling, the change of the profile's addresses."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from contracts import NotifySendV1
from contracts.auth import AuthAccountCreatedV1, AuthFamilyChangedV1, AuthFamilyContactsV1
from contracts.errors import Forbidden
from kit.identity import Identity
from services.auth.domain import policy
from services.auth.domain.families import ImportedChild, ImportedFamily, ImportedGuardian
from services.auth.domain.family_csv import ParsedImport, RejectedLine
from services.auth.service import Refused, accounts, families, sign_in
from services.auth.store.accounts import AccountSecret, Contacts
from services.auth.store.families import ChildRow, FamilyRow, GuardianRow
from services.auth.store.sessions import StructureRef
from services.auth.store.structures import Structure

HERE, THERE = uuid.uuid4(), uuid.uuid4()
T0 = datetime(2027, 2, 4, 9, 0, tzinfo=UTC)
staff_here = Identity(subject=str(uuid.uuid4()), role="staff", structures=(HERE,))


class FakeHasher:
    def hash(self, password: str) -> str:
        return f"hash:{password}"

    def verify(self, stored: str, password: str) -> bool:
        return stored == f"hash:{password}"

    def dummy_verify(self, password: str) -> None:
        pass

    def needs_rehash(self, stored: str) -> bool:
        return False


class FakeProducer:
    def __init__(self):
        self.sent: list = []

    async def add(self, conn, payload, *, secret: bool = False):
        self.sent.append(payload)

    def of(self, kind) -> list:
        return [p for p in self.sent if isinstance(p, kind)]


class FakeStore:
    """auth's store in memory: the named queries the scripts call, the connection a dummy."""

    def __init__(self):
        self.structures = {HERE: Structure(HERE, "Mairie ici", "", T0), THERE: Structure(THERE, "Mairie là", "", T0)}
        self.families: dict[uuid.UUID, FamilyRow] = {}
        self.kids: dict[uuid.UUID, list[ChildRow]] = {}
        self.members: dict[uuid.UUID, list[GuardianRow]] = {}
        self.accounts: dict[uuid.UUID, AccountSecret] = {}
        self.throttle: dict[str, policy.ThrottleState] = {}
        self.sessions: list[uuid.UUID] = []

    @contextlib.asynccontextmanager
    async def transaction(self):
        yield None

    connection = transaction

    # structures
    async def structure(self, _conn, structure_id):
        return self.structures.get(structure_id)

    async def all_structures(self, _conn):
        return sorted(self.structures.values(), key=lambda s: s.name)

    async def account_structures(self, _conn, _account_id):
        return [StructureRef(s.id, s.name, s.updated_at) for s in self.structures.values()]

    # families
    async def family_by_identifiant(self, _conn, identifiant):
        return next((f for f in self.families.values() if f.identifiant.lower() == identifiant.lower()), None)

    async def family(self, _conn, family_id):
        return self.families.get(family_id)

    async def guardians(self, _conn, family_id):
        return self.members.get(family_id, [])

    async def children(self, _conn, family_id):
        return self.kids.get(family_id, [])

    async def insert_family(self, _conn, family_id, identifiant, structure_id):
        self.families[family_id] = FamilyRow(family_id, identifiant, structure_id, T0)

    async def insert_guardians(self, _conn, family_id, members):
        self.members[family_id] = [GuardianRow(uuid.uuid4(), g.rank, g.first_name, g.last_name) for g in members]

    async def insert_children(self, _conn, family_id, kids):
        for child in kids:
            await self.add_child_if_new(_conn, family_id, child)

    async def add_child_if_new(self, _conn, family_id, child):
        known = self.kids.setdefault(family_id, [])
        if any((c.first_name.lower(), c.last_name.lower(), c.birth_date)
               == (child.first_name.lower(), child.last_name.lower(), child.birth_date) for c in known):
            return False
        known.append(ChildRow(uuid.uuid4(), child.first_name, child.last_name, child.birth_date, child.structure_id))
        return True

    async def touch_family(self, _conn, _family_id):
        pass

    async def bump_family_version(self, _conn, _family_id):
        pass

    async def bump_contacts_version(self, _conn, _family_id):
        pass

    async def family_contacts(self, _conn, family_id):
        account = next((a for a in self.accounts.values() if a.family_id == family_id), None)
        return Contacts(account.id, account.emails, account.login, T0) if account else None

    # accounts
    async def login_taken(self, _conn, login):
        return any(a.login.lower() == login.lower() for a in self.accounts.values())

    async def insert_account(self, _conn, account, *, if_new=False):
        self.accounts[account.id] = AccountSecret(account.id, account.login, account.password_hash, account.role,
                                                  account.family_id, tuple(account.emails), True)
        return True

    async def account_by_login_key(self, _conn, key):
        return next((a for a in self.accounts.values() if policy.login_key(a.login) == key), None)

    async def account_secret(self, _conn, account_id):
        return self.accounts.get(account_id)

    account_for_update = account_secret

    async def set_emails(self, _conn, account_id, emails):
        a = self.accounts[account_id]
        self.accounts[account_id] = AccountSecret(a.id, a.login, a.password_hash, a.role, a.family_id, tuple(emails),
                                                  a.must_change_password)

    # sign-in
    async def lock_throttle(self, _conn, key):
        return self.throttle.setdefault(key, policy.ThrottleState())

    async def save_throttle(self, _conn, states, _now):
        self.throttle.update(states)

    async def forget_throttle(self, _conn, keys):
        for key in keys:
            self.throttle.pop(key, None)

    async def insert_session(self, _conn, _token_hash, account_id, _csrf, _structure_id, _address):
        session_id = uuid.uuid4()
        self.sessions.append(session_id)
        return session_id


def run(coro):
    return asyncio.run(coro)


def family(identifiant="DUPONT-0042", structure=HERE, children=(("Léa", date(2018, 4, 12), HERE),),
           emails=("jean.dupont@example.fr",), password=None) -> ImportedFamily:
    return ImportedFamily(identifiant, (ImportedGuardian("Jean", "Dupont", 1, "M."),), tuple(emails), structure,
                          password, tuple(ImportedChild(n, "DUPONT", b, s) for n, b, s in children), lines=(2,))


# -- families -------------------------------------------------------------------------------------------
def test_a_new_family_gets_its_account_and_its_events():
    store, producer = FakeStore(), FakeProducer()
    outcome = run(families.create_family(store, producer, FakeHasher(), staff_here, family()))
    assert outcome.created and outcome.children_added == 1 and outcome.initial_password
    [account] = store.accounts.values()
    assert account.login == "DUPONT-0042" and account.role == "parent" and account.family_id == outcome.family_id
    assert account.password_hash == f"hash:{outcome.initial_password}"
    assert [type(p) for p in producer.sent] == [AuthAccountCreatedV1, AuthFamilyChangedV1,
                                                type(producer.sent[2]), AuthFamilyContactsV1]
    assert producer.of(AuthFamilyChangedV1)[0].structure_ids == [HERE]


def test_staff_reach_no_other_structure_and_no_other_structure_s_family():
    store, producer = FakeStore(), FakeProducer()
    with pytest.raises(Forbidden):  # a child in a structure the caller does not manage
        run(families.create_family(store, producer, FakeHasher(), staff_here,
                                   family(children=(("Hugo", date(2015, 9, 3), THERE),))))
    staff_there = Identity(subject="t", role="staff", structures=(THERE,))
    run(families.create_family(store, producer, FakeHasher(), staff_there, family(structure=THERE, children=())))
    with pytest.raises(Refused) as refused:  # the same identifiant, typed by staff of another structure
        run(families.create_family(store, producer, FakeHasher(), staff_here, family()))
    assert refused.value.status == 409
    assert refused.value.detail == "L'identifiant « DUPONT-0042 » est déjà utilisé par un autre compte."
    assert sum(len(c) for c in store.kids.values()) == 0  # nothing added to their family


def test_the_same_family_again_adds_only_its_new_children():
    store, producer = FakeStore(), FakeProducer()
    run(families.create_family(store, producer, FakeHasher(), staff_here, family()))
    with pytest.raises(Refused) as again:
        run(families.create_family(store, producer, FakeHasher(), staff_here, family(
            children=(("Léa", date(2018, 4, 12), HERE), ("Hugo", date(2015, 9, 3), HERE)))))
    assert again.value.status == 409 and again.value.extra == {"children_added": 1}
    assert len(store.accounts) == 1


def test_a_family_creation_lists_every_problem():
    with pytest.raises(Refused) as refused:
        run(families.create_family(FakeStore(), FakeProducer(), FakeHasher(), staff_here,
                                   family(emails=("pas-une-adresse",), password="court")))
    assert refused.value.status == 422 and refused.value.title == "Famille refusée"
    messages = refused.value.extra["messages"]
    assert messages[0] == "Adresse courriel invalide : « pas-une-adresse »"
    assert "Mot de passe initial : règle non respectée « Au moins 1 chiffre »" in messages


def test_an_import_reports_each_family_and_refuses_another_structure_s_one():
    store, producer = FakeStore(), FakeProducer()
    run(families.create_family(store, producer, FakeHasher(), Identity(subject="a", role="admin"),
                               family("MARTIN-1", structure=THERE, children=())))
    parsed = ParsedImport(
        families=(family("DURAND-7"), family("MARTIN-1", children=(("Zoé", date(2019, 1, 2), HERE),))),
        rejected=(RejectedLine(5, None, "identifiant manquant"),))
    report = run(families.import_families(store, producer, FakeHasher(), parsed, staff_here.may_manage_structure))
    assert [o.identifiant for o in report.created] == ["DURAND-7"]
    assert report.rejected == [
        {"ligne": 2, "identifiant": "MARTIN-1", "motif": "l'identifiant « MARTIN-1 » est déjà utilisé par un autre compte"},
        {"ligne": 5, "identifiant": None, "motif": "identifiant manquant"}]


# -- sign-in throttling --------------------------------------------------------------------------------
def test_sign_in_is_blocked_after_the_free_failures_then_told_when_to_retry():
    store = FakeStore()
    run(families.create_family(store, FakeProducer(), FakeHasher(), staff_here, family(password="Cantine-2027")))
    clock = lambda: T0
    for _ in range(policy.ACCOUNT_RULE.free_failures - 1):
        refused = run(sign_in.login(store, FakeHasher(), "dupont-0042", "faux", None, clock))
        assert refused == policy.LoginRefused(policy.GENERIC_LOGIN_FAILURE)
    blocking = run(sign_in.login(store, FakeHasher(), "DUPONT-0042", "faux", None, clock))
    assert blocking.retry_at == T0 + policy.ACCOUNT_RULE.base_delay
    # blocked: even the right password is not checked
    blocked = run(sign_in.login(store, FakeHasher(), "DUPONT-0042", "Cantine-2027", None, clock))
    assert isinstance(blocked, policy.LoginRefused) and blocked.retry_at == blocking.retry_at
    later = lambda: T0 + timedelta(minutes=2)
    assert isinstance(run(sign_in.login(store, FakeHasher(), "DUPONT-0042", "Cantine-2027", None, later)),
                      sign_in.LoginOk)
    assert store.throttle == {}  # a success forgets the count


def test_an_unknown_identifiant_is_throttled_like_a_known_one():
    store = FakeStore()
    for _ in range(policy.ACCOUNT_RULE.free_failures):
        refused = run(sign_in.login(store, FakeHasher(), "personne", "x", "10.0.0.1", lambda: T0))
    assert refused.retry_at is not None
    assert store.throttle["addr:10.0.0.1"].failures == policy.ACCOUNT_RULE.free_failures


# -- e-mail change ---------------------------------------------------------------------------------------
def _parent(store) -> AccountSecret:
    run(families.create_family(store, FakeProducer(), FakeHasher(), staff_here,
                               family(emails=("ancien@example.fr",), password="Cantine-2027")))
    return next(iter(store.accounts.values()))


def test_changing_the_addresses_needs_the_password_and_tells_the_previous_address():
    store, producer = FakeStore(), FakeProducer()
    account = _parent(store)
    with pytest.raises(Refused) as wrong:
        run(accounts.update_emails(store, producer, FakeHasher(), account.id, "nouveau@example.fr", "faux",
                                   lambda: T0))
    assert wrong.value.status == 422 and wrong.value.extra["messages"] == [policy.WRONG_CURRENT]
    saved = run(accounts.update_emails(store, producer, FakeHasher(), account.id,
                                       "nouveau@example.fr; second@example.fr", "Cantine-2027", lambda: T0))
    assert saved == ["nouveau@example.fr", "second@example.fr"]
    [notice] = producer.of(NotifySendV1)
    assert [str(a) for a in notice.to] == ["ancien@example.fr"] and "10:00 (heure de Paris)" in notice.params["texte"]
    assert producer.of(AuthFamilyContactsV1)[-1].emails == ["nouveau@example.fr", "second@example.fr"]


def test_the_same_addresses_again_tell_no_one():
    store, producer = FakeStore(), FakeProducer()
    account = _parent(store)
    run(accounts.update_emails(store, producer, FakeHasher(), account.id, "ANCIEN@example.fr", "Cantine-2027",
                               lambda: T0))
    assert producer.of(NotifySendV1) == []


def test_bad_addresses_are_all_listed_before_the_password_is_checked():
    store = FakeStore()
    account = _parent(store)
    with pytest.raises(Refused) as refused:
        run(accounts.update_emails(store, FakeProducer(), FakeHasher(), account.id,
                                   "a@example.fr;b;c@example.fr;d@example.fr;e@example.fr;f@example.fr;g@example.fr", ""))
    assert refused.value.extra["messages"] == [
        "Adresse courriel invalide : « b »", "Vous pouvez saisir au plus 5 adresses courriel.",
        "Saisissez votre mot de passe actuel pour modifier vos adresses courriel."]
    assert store.throttle == {}  # nothing counted: the password was not even tried
