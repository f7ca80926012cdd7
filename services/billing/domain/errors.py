"""billing's refusals: contracts.errors.DomainError with the French title and status each one has always
answered with (the problem middleware of kit/http.py writes them as JSON problems)."""

from __future__ import annotations

from contracts.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Unavailable

__all__ = ["AlreadyPaid", "BadRequest", "CallbackRefused", "Forbidden", "InvalidAmount", "InvalidMonth",
           "MonthNotClosed", "OnlinePaymentOff", "TariffExists", "Unknown", "UnknownPayment"]


class BadRequest(DomainError):
    status, title = 400, "Requête invalide"


class Unknown(NotFound):
    """Something the caller may not know exists, or that does not: "Facture introuvable.", …"""

    title = "Ressource introuvable"


class InvalidMonth(DomainError, ValueError):
    """A month that is not AAAA-MM within the years billing knows; the message is French."""

    status, title = 400, "Mois invalide"


class MonthNotClosed(Conflict):
    """Invoices asked for a month that is not over yet (the current one or a later one)."""

    title = "Mois non clos"


class InvalidAmount(Invalid):
    title = "Montant invalide"


class TariffExists(Conflict):
    pass


class AlreadyPaid(Conflict):
    title = "Facture réglée"


class OnlinePaymentOff(Unavailable):
    title = "Paiement en ligne indisponible"


class CallbackRefused(DomainError):
    status, title = 400, "Rappel refusé"


class UnknownPayment(NotFound):
    title = "Paiement inconnu"
