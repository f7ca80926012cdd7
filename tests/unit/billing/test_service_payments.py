"""Payments on a fake store: a desk payment allocated within its structure, its refusals, and the online
payment through a faked eopayment (notified several times, received once; denied, cancelled, expired; the
reconcile job; staff's configuration with its secrets masked)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from functools import partial
from urllib.parse import parse_qsl

import pytest

from contracts.billing import BillingPaymentReceivedV1
from services.billing.domain import online as online_rules
from services.billing.domain import payments as rules
from services.billing.domain.errors import (
    AlreadyPaid,
    BadRequest,
    CallbackRefused,
    Forbidden,
    InvalidAmount,
    OnlinePaymentOff,
    Unknown,
    UnknownPayment,
)
from services.billing.domain.invoices import Invoice
from services.billing.service import online_payments as payments_online
from services.billing.service import payments
from tests.unit.billing.world import (
    ADMIN,
    AGENT,
    CARTEVILLE,
    FAMILY,
    NOW,
    OTHER,
    OTHER_AGENT,
    PARENT,
    STRANGERS,
    world,
)


def invoice(number: int, structure_id: uuid.UUID, total: int, due: date) -> Invoice:
    return Invoice(id=uuid.UUID(int=100 + number), number=f"F2026-{number:06d}", family_id=FAMILY,
                   structure_id=structure_id, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
                   issued_on=date(2026, 2, 1), due_on=due, total_cents=total)


async def with_invoices():
    store, outbox = await world()
    for inv in (invoice(1, CARTEVILLE, 1000, date(2026, 3, 1)), invoice(2, CARTEVILLE, 500, date(2026, 2, 1)),
                invoice(3, OTHER, 700, date(2026, 1, 1))):  # the other structure's is the oldest
        await store.insert_invoice(inv, [])
    return store, outbox


def paid(structure_id=CARTEVILLE, amount="8,00", family_id=FAMILY) -> payments.DeskPayment:
    return payments.DeskPayment(family_id, structure_id, amount, "cheque")


async def test_a_desk_payment_pays_the_oldest_invoices_of_its_structure_only_and_keeps_the_rest():
    store, outbox = await with_invoices()
    payment = await payments.record_desk_payment(store, outbox, AGENT, paid(amount="12,00"), NOW)
    assert payment.reference.startswith("PF-") and store.payments[payment.id].status == "received"
    assert [(i.int - 100, a) for _p, i, a in store.allocations] == [(2, 500), (1, 700)]
    (event,) = outbox.of(BillingPaymentReceivedV1)
    assert (event.amount_cents, event.method, event.structure_name, event.received_at) == (
        1200, "cheque", "Mairie de CarteVille", NOW)
    again = await payments.record_desk_payment(store, outbox, ADMIN, paid(amount="5,00"), NOW)
    assert [(i.int - 100, a) for p, i, a in store.allocations if p == again.id] == [(1, 300)]  # 2,00 € credit


async def test_a_desk_payment_is_recorded_by_the_structures_staff_for_a_family_there():
    store, outbox = await with_invoices()
    with pytest.raises(Forbidden, match="Vous ne gérez pas cette structure"):
        await payments.record_desk_payment(store, outbox, OTHER_AGENT, paid(), NOW)
    with pytest.raises(Forbidden):
        await payments.record_desk_payment(store, outbox, PARENT, paid(), NOW)
    with pytest.raises(Unknown, match="Famille introuvable dans cette structure"):
        await payments.record_desk_payment(store, outbox, AGENT, paid(family_id=STRANGERS), NOW)
    for amount, message in (("douze", "Montant invalide"), ("0", "positif"), ("-3,00", "positif"),
                            ("100 000,01", "dépasser 100\u202f000,00 €")):
        with pytest.raises(InvalidAmount, match=message):
            await payments.record_desk_payment(store, outbox, AGENT, paid(amount=amount), NOW)
    assert store.payments == {} and outbox.events == []


class FakeBackends:
    """eopayment's part, faked: request() gives a transaction, response() reads "tx=…&result=…&signed=…"."""

    development = False

    def __init__(self, with_status: bool = False):
        self.with_status, self.count, self.status_answers = with_status, 0, {}

    def known(self):
        return ["dummy", "payfip_ws"]

    def usable(self):
        return online_rules.usable_backends(self.known(), self.development)

    def caption(self, kind):
        return kind

    def parameters(self, kind):
        return [online_rules.Parameter("numcli", "Numéro client", required=True),
                online_rules.Parameter("secret_key", "Clé secrète"),
                online_rules.Parameter("saisie", "Mode", choices=("T", "X", "W"), default="T")]

    def has_status(self, kind):
        return self.with_status

    async def request(self, config, amount_cents, order_id, email, subject):
        self.count += 1
        return f"T{self.count}", f"https://bank.example/pay?t=T{self.count}&amount={online_rules.amount_text(amount_cents)}"

    async def response(self, config, query):
        q = dict(parse_qsl(query))
        answer = online_rules.BankAnswer(q["tx"], q["result"], q.get("signed") == "1",
                                         int(q["cents"]) if "cents" in q else None)
        return answer, "OK" if answer.signed else None, q

    async def status(self, config, transaction):
        return self.status_answers[transaction.transaction_id]


async def configured(with_status: bool = False):
    store, outbox = await with_invoices()
    backends = FakeBackends(with_status)
    await payments_online.save_backend(store, backends, AGENT, CARTEVILLE, "payfip_ws",
                                       {"numcli": "123456", "secret_key": "tres-secret", "saisie": "T"}, NOW)
    return store, outbox, backends


def told(tx: str, result: str, signed: bool = True, cents: int | None = None) -> str:
    return f"tx={tx}&result={result}&signed={int(signed)}" + ("" if cents is None else f"&cents={cents}")


async def test_an_online_payment_is_received_once_however_often_the_backend_notifies():
    store, outbox, backends = await configured()
    url = await payments_online.start_online(store, backends, PARENT, payments_online.OnlineStart(uuid.UUID(int=101)),
                                             NOW)
    assert url == "https://bank.example/pay?t=T1&amount=10.00"
    (pending,) = store.payments.values()
    assert (pending.status, pending.amount_cents, pending.method, pending.reference) == (
        "pending", 1000, "online", "EN-LIGNE-F2026-000001")
    assert store.online[pending.id].state == "pending"  # recorded before the family is sent to the bank

    answer = partial(payments_online.bank_answered, store, outbox, backends, PARENT, CARTEVILLE, now=NOW)
    with pytest.raises(CallbackRefused, match="montant"):
        await answer(told("T1", "paid", cents=999), notification=True)
    assert (await answer(told("T1", "paid", signed=False), notification=False)).state == "pending"  # unsigned
    for _ in range(3):  # the notification told three times, then the return
        assert (await answer(told("T1", "paid", cents=1000), notification=True)).state == "paid"
    assert (await answer(told("T1", "cancelled"), notification=False)).state == "paid"  # paid stays paid
    assert store.payments[pending.id].status == "received" and store.online[pending.id].notifications == 3
    assert [(i.int - 100, a) for _p, i, a in store.allocations] == [(1, 1000)]  # its invoice first
    assert len(outbox.of(BillingPaymentReceivedV1)) == 1
    with pytest.raises(AlreadyPaid):
        await payments_online.start_online(store, backends, PARENT, payments_online.OnlineStart(uuid.UUID(int=101)),
                                           NOW)
    with pytest.raises(UnknownPayment):
        await answer(told("T9", "paid"), notification=True)
    with pytest.raises(Unknown, match="Aucun module"):  # a structure without a backend
        await payments_online.bank_answered(store, outbox, backends, PARENT, OTHER, told("T1", "paid"), NOW,
                                            notification=True)


async def test_denied_cancelled_and_the_refusals_before_any_request():
    store, outbox, backends = await configured()
    start = partial(payments_online.start_online, store, backends, PARENT, now=NOW)
    await start(payments_online.OnlineStart(uuid.UUID(int=102)))
    await start(payments_online.OnlineStart(uuid.UUID(int=102)))
    answer = partial(payments_online.bank_answered, store, outbox, backends, PARENT, CARTEVILLE, now=NOW)
    assert (await answer(told("T1", "denied"), notification=True)).state == "denied"
    assert (await answer(told("T2", "cancelled"), notification=False)).state == "cancelled"
    assert sorted(p.status for p in store.payments.values()) == ["cancelled", "cancelled"] and outbox.events == []

    with pytest.raises(Unknown, match="Facture introuvable"):
        await payments_online.start_online(store, backends, PARENT.model_copy(update={"family_id": STRANGERS}),
                                           payments_online.OnlineStart(uuid.UUID(int=101)), NOW)
    with pytest.raises(OnlinePaymentOff):  # the other structure has no backend
        await start(payments_online.OnlineStart(uuid.UUID(int=103)))
    assert backends.count == 2


async def test_the_reconcile_job_asks_the_backend_or_expires_after_the_delay():
    store, outbox, backends = await configured(with_status=True)
    for _ in range(3):
        await payments_online.start_online(store, backends, PARENT, payments_online.OnlineStart(uuid.UUID(int=101)),
                                           NOW)
    backends.status_answers = {"T1": online_rules.BankAnswer("T1", "paid", True, 1000),
                               "T2": online_rules.BankAnswer("T2", "waiting", True),
                               "T3": online_rules.BankAnswer("T3", "denied", True)}
    report = await payments_online.reconcile(store, outbox, backends, NOW + timedelta(minutes=10), 60)
    assert (report.asked, report.paid, report.closed, report.expired) == (3, 1, 1, 0)
    report = await payments_online.reconcile(store, outbox, backends, NOW + timedelta(minutes=61), 60)
    assert (report.asked, report.expired) == (1, 1)
    assert sorted(t.state for t in store.online.values()) == ["denied", "expired", "paid"]
    assert len(outbox.of(BillingPaymentReceivedV1)) == 1
    backends.with_status = False  # a backend without payment_status: nothing pending is left to ask
    assert (await payments_online.reconcile(store, outbox, backends, NOW + timedelta(days=1), 60)).asked == 0


async def test_staff_configure_their_structure_and_never_see_a_secret_again():
    store, _outbox, backends = await configured()
    form = await payments_online.backend_form(store, backends, AGENT, CARTEVILLE, None)
    assert form.backend == form.chosen == "payfip_ws" and [b for b, _c in form.backends] == ["payfip_ws"]
    assert form.shown == {"numcli": "123456", "secret_key": "********", "saisie": "T"}
    await payments_online.save_backend(store, backends, AGENT, CARTEVILLE, "payfip_ws",
                                       {"numcli": "654321", "secret_key": "", "saisie": "W"}, NOW)
    assert store.backend_configs[CARTEVILLE].options == {"numcli": "654321", "secret_key": "tres-secret",
                                                         "saisie": "W"}  # an empty secret keeps the stored one
    with pytest.raises(BadRequest, match="dummy"):  # not in development
        await payments_online.save_backend(store, backends, AGENT, CARTEVILLE, "dummy", {}, NOW)
    with pytest.raises(BadRequest, match="obligatoire"):
        await payments_online.save_backend(store, backends, AGENT, CARTEVILLE, "payfip_ws", {"numcli": ""}, NOW)
    with pytest.raises(BadRequest, match="attendu"):
        await payments_online.save_backend(store, backends, AGENT, CARTEVILLE, "payfip_ws",
                                           {"numcli": "1", "saisie": "Z"}, NOW)
    for who in (OTHER_AGENT, PARENT):
        with pytest.raises(Forbidden):
            await payments_online.backend_form(store, backends, who, CARTEVILLE, None)
        with pytest.raises(Forbidden):
            await payments_online.save_backend(store, backends, who, CARTEVILLE, "payfip_ws", {"numcli": "1"}, NOW)
    await payments_online.start_online(store, backends, PARENT, payments_online.OnlineStart(uuid.UUID(int=101)), NOW)
    assert len(await payments_online.staff_transactions(store, AGENT)) == 1
    assert await payments_online.staff_transactions(store, OTHER_AGENT) == []  # another commune's staff
    assert len(await payments_online.staff_transactions(store, ADMIN)) == 1


def test_amounts_are_exact_and_dummy_is_for_development_only():
    assert [online_rules.amount_text(c) for c in (1, 1000, 1234, 10_000_00)] == ["0.01", "10.00", "12.34",
                                                                                 "10000.00"]
    assert online_rules.amount_cents_of({"amount": ["12.34"]}) == 1234
    assert online_rules.amount_cents_of({"montant": "1234"}) == 1234
    assert online_rules.amount_cents_of({"amount": "douze"}) == -1 and online_rules.amount_cents_of({}) is None
    assert "dummy" not in online_rules.usable_backends(["dummy", "payfip_ws"], development=False)
    assert online_rules.check_backend("dummy", ["dummy"], development=True) == "dummy"


def test_allocation_pays_the_named_invoice_first_then_by_due_date_and_number():
    a, b, c = (invoice(n, CARTEVILLE, 400, date(2026, 1, 10 - n)) for n in (1, 2, 3))
    assert rules.allocate(1000, [a, b, c]) == [(c.id, 400), (b.id, 400), (a.id, 200)]
    assert rules.allocate(1000, [a, b, c], first=a.id) == [(a.id, 400), (c.id, 400), (b.id, 200)]
    assert rules.allocate(300, [b.__class__(**{**b.__dict__, "paid_cents": 400}), a]) == [(a.id, 300)]
