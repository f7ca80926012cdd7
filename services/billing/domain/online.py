"""Online payment through eopayment, its rules without eopayment itself: which backend a structure may use
(the `dummy` one in development only), its options as staff type them (from the backend's
`description['parameters']`, secrets never shown back), the exact amount asked, and what a backend's
answer (notification, return or status) does to a pending online transaction: only a signed PAID answer of
the right amount pays it, once; denied, cancelled and expired close it; a transaction nobody answers for
expires after a delay."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from services.billing.domain.errors import BadRequest

DUMMY = "dummy"
# Set by the portal itself (its return page and its notification route), never typed by staff.
PORTAL_SET = ("normal_return_url", "automatic_return_url")
# Options that are secrets (keys, passwords): stored, used, never shown back, logged nor published.
SECRET_MARKERS = ("secret", "key", "password", "sha_in", "sha_out", "cle")
STATE_LABELS = {"pending": "En attente", "paid": "Payé", "denied": "Refusé", "cancelled": "Annulé",
                "expired": "Expiré", "error": "En erreur"}
# The eopayment result codes (eopayment.common), by name: the adapter turns them into these words.
RESULTS = {1: "received", 2: "accepted", 3: "paid", 4: "denied", 5: "cancelled", 6: "waiting", 7: "expired",
           99: "error"}


@dataclass(frozen=True)
class Parameter:
    """One option of a backend, as its description gives it."""

    name: str
    caption: str
    required: bool = False
    default: str = ""
    choices: tuple[str, ...] = ()
    kind: str = "str"  # "str" | "bool" | "int"

    @property
    def secret(self) -> bool:
        return any(marker in self.name.lower() for marker in SECRET_MARKERS)


@dataclass(frozen=True)
class BackendConfig:
    structure_id: uuid.UUID
    backend: str
    options: Mapping[str, object]


@dataclass(frozen=True)
class OnlineTransaction:
    payment_id: uuid.UUID
    structure_id: uuid.UUID
    family_id: uuid.UUID
    backend: str
    transaction_id: str
    amount_cents: int
    invoice_number: str
    state: str = "pending"
    bank_status: str = ""
    notifications: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class BankAnswer:
    """What eopayment's response() or payment_status() said, in plain words."""

    transaction_id: str
    result: str  # a value of RESULTS
    signed: bool
    amount_cents: int | None = None  # when the backend tells the amount paid
    bank_status: str = ""
    order_id: str = ""

    def keys(self) -> list[str]:
        """The identifiers that may be the one request() gave: PayFiP answers "refdet idop numauto" with the
        idop as order_id; the others answer it as transaction_id."""
        found = [self.transaction_id, self.order_id, *self.transaction_id.split()]
        return list(dict.fromkeys(k for k in found if k))


@dataclass(frozen=True)
class Verdict:
    action: str  # "receive" | "close" | "none" | "refuse"
    state: str  # the transaction's state afterwards
    reason: str = ""


def usable_backends(known: Sequence[str], development: bool) -> list[str]:
    """The backends staff may choose: every eopayment backend but `dummy`, which is for development."""
    return [k for k in known if k != DUMMY or development]


def check_backend(backend: str, known: Sequence[str], development: bool) -> str:
    if backend == DUMMY and not development:
        raise BadRequest("Le module de paiement de test « dummy » n'est autorisé qu'en développement.")
    if backend not in known:
        raise BadRequest("Module de paiement inconnu.")
    return backend


def form_parameters(described: Sequence[Mapping]) -> list[Parameter]:
    """The options staff fill in: those of the description, but the deprecated and the portal's own."""
    found = []
    for p in described:
        name = str(p.get("name", ""))
        if not name or p.get("deprecated") or name in PORTAL_SET or " " in name:
            continue
        kind = {bool: "bool", int: "int"}.get(p.get("type"), "str")
        default = p.get("default")
        found.append(Parameter(name=name, caption=str(p.get("caption") or name), required=bool(p.get("required")),
                               default="" if default is None or callable(default) else str(default),
                               choices=tuple(str(c) for c in p.get("choices") or ()) if p.get("type") is not list
                               else (), kind=kind))
    return found


def clean_options(parameters: Sequence[Parameter], typed: Mapping[str, str],
                  previous: Mapping[str, object]) -> dict[str, object]:
    """The options as typed, checked: required ones present, choices respected, booleans and integers
    converted. A secret left empty keeps the value stored before (it is never shown back)."""
    options: dict[str, object] = {}
    for p in parameters:
        raw = str(typed.get(p.name, "")).strip()
        if p.kind == "bool":
            options[p.name] = raw.lower() in ("1", "true", "on", "oui")
            continue
        if not raw and p.secret and previous.get(p.name):
            options[p.name] = previous[p.name]
            continue
        if not raw:
            if p.required:
                raise BadRequest(f"Le paramètre « {p.caption} » ({p.name}) est obligatoire.")
            continue
        if len(raw) > 500:
            raise BadRequest(f"Le paramètre « {p.caption} » est trop long.")
        if p.choices and raw not in p.choices:
            raise BadRequest(f"Valeur refusée pour « {p.caption} » : {', '.join(p.choices)} attendu.")
        if p.kind == "int":
            try:
                options[p.name] = int(raw)
            except ValueError:
                raise BadRequest(f"Le paramètre « {p.caption} » doit être un nombre entier.") from None
            continue
        options[p.name] = raw
    return options


def shown_options(parameters: Sequence[Parameter], options: Mapping[str, object]) -> dict[str, object]:
    """The options as staff see them again: secrets never in clear (only whether one is set)."""
    return {p.name: (("********" if options.get(p.name) else "") if p.secret else options.get(p.name, ""))
            for p in parameters}


def amount_text(cents: int) -> str:
    """The amount eopayment asks for: a decimal string in euros, exact ("12.34")."""
    if cents <= 0:
        raise ValueError("a payment's amount is positive")
    return f"{cents // 100}.{cents % 100:02d}"


def amount_cents_of(bank_data: Mapping[str, object]) -> int | None:
    """The amount paid when the backend tells it: `amount` in euros (dummy), `montant` (PayFiP/TIPI) or
    `vads_amount` (SystemPay/PayZen) in cents. None: the backend does not say (its signature covers it)."""

    def first(value: object) -> str:
        return str(value[0] if isinstance(value, list | tuple) and value else value)

    try:
        if "amount" in bank_data:
            return int((Decimal(first(bank_data["amount"])) * 100).to_integral_exact())
        for key in ("montant", "vads_amount"):
            if key in bank_data:
                return int(first(bank_data[key]))
    except (InvalidOperation, ValueError, ArithmeticError):
        return -1  # told, but not an amount: never the right one
    return None


def verdict(transaction: OnlineTransaction, answer: BankAnswer) -> Verdict:
    """What an answer about a transaction does. Idempotent: a paid transaction stays paid whatever comes
    next, and paying twice receives once."""
    if transaction.state == "paid":
        return Verdict("none", "paid")
    if answer.result == "paid":
        if not answer.signed:
            return Verdict("none", transaction.state, "réponse non signée")  # e.g. a return; the notification pays
        if answer.amount_cents is not None and answer.amount_cents != transaction.amount_cents:
            return Verdict("refuse", transaction.state, "le montant ne correspond pas")
        return Verdict("receive", "paid")
    if transaction.state != "pending":
        return Verdict("none", transaction.state)
    if answer.result in ("denied", "cancelled", "expired"):
        return Verdict("close", answer.result)
    return Verdict("none", "pending")  # waiting, received, accepted, error: still pending


def is_stale(created_at: datetime, now: datetime, expiry_minutes: int) -> bool:
    """A pending transaction nobody has answered for within the delay expires."""
    return now - created_at >= timedelta(minutes=expiry_minutes)
