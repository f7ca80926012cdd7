"""Staff send a failed mail again: which failed deliveries can go out again, and what the delivery log says
of each state in French (the family's page and the failures page show it)."""

from __future__ import annotations

from services.notify.domain.mail_choice import SECRET_TEMPLATES

STATUS_LABELS = {"pending": "En attente d'envoi", "sending": "En cours d'envoi", "sent": "Envoyé",
                 "failed": "Échec de l'envoi"}

NOT_FAILED = "Seul un courriel en échec peut être renvoyé."
SECRET = ("Ce courriel contenait un lien personnel qui n'est pas conservé : la famille doit refaire sa demande "
          "(« Mot de passe oublié »).")
PURGED = "Le contenu de ce courriel n'est plus conservé : il ne peut pas être renvoyé."


def resend_refusal(status: str, template: str, body_kept: bool) -> str | None:
    """Why this delivery cannot be sent again (None: it can): only a failed one, whose body is still kept
    and is not a credential (a reset link is never kept once the mail is given up)."""
    if status != "failed":
        return NOT_FAILED
    if template in SECRET_TEMPLATES:
        return SECRET
    if not body_kept:
        return PURGED
    return None
