"""Refusals a service's rules can raise, understood by every layer: the kit's problem middleware answers
them as a JSON problem (RFC 9457) with their status and French detail, and the gateway's clients raise
them back from such an answer. Plain Python: a domain module may import it (it imports nothing)."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal meant for the person: `detail` is French and says what to do."""

    status = 400
    title = "Requête refusée"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class Invalid(DomainError):
    status, title = 422, "Données invalides"


class NotFound(DomainError):
    status, title = 404, "Ressource introuvable"


class Forbidden(DomainError):
    status, title = 403, "Accès refusé"


class Conflict(DomainError):
    status, title = 409, "Conflit"


class Unavailable(DomainError):
    status, title = 503, "Service indisponible"
