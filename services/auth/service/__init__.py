"""auth's transaction scripts: each takes a store (services/auth/store, or a fake one in the unit tests),
the outbox producer of auth and what else it needs (the hasher, a clock), calls the rules of
services/auth/domain and returns a result or raises a refusal."""

from __future__ import annotations

from contracts.errors import DomainError


class Refused(DomainError):
    """A refusal the person can act on, answered as a problem with `status`, `title`, the French `detail`
    and `extra` fields (e.g. `messages`, one sentence per problem, or `retry_at`)."""

    def __init__(self, status: int, title: str, detail: str, **extra):
        super().__init__(detail)
        self.status, self.title, self.extra = status, title, extra


PASSWORD_TITLES = {404: "Ressource introuvable", 409: "Conflit", 410: "Lien expiré", 422: "Mot de passe refusé",
                   429: "Trop de tentatives"}


def password_refused(status: int, messages: list[str]) -> Refused:
    """A refusal of a password change (or of the current password), every problem in `messages`."""
    return Refused(status, PASSWORD_TITLES.get(status, "Requête refusée"), " ".join(messages), messages=messages)
