"""Which mail an event makes and for whom: the template of each event, who receives it (every address of
the family, or the first only for a payment ticket, as the guide says), the words it uses for a payment
method and a child, and the templates whose body is a credential (not kept once sent)."""

from __future__ import annotations

from dataclasses import dataclass

PAYMENT_METHODS = {"cash": "Espèces", "cheque": "Chèque", "card": "Carte bancaire", "cesu": "CESU",
                   "transfer": "Virement", "online": "Paiement en ligne"}

# Mails whose body is a credential (a reset link): the body is kept only until the mail is sent (or
# given up); then the delivery log keeps this note in its place, never the link.
SECRET_TEMPLATES = ("password_reset",)
SECRET_BODY_NOTE = "Lien personnel envoyé par courriel (non conservé après l'envoi)."


@dataclass(frozen=True)
class FamilyMail:
    """A mail to a family about an event: its template and whether only the first address gets it."""

    template: str
    first_only: bool = False


WAITLIST_PROMOTED = FamilyMail("waitlist_promoted")
SHEET_REVIEWED = FamilyMail("sheet_reviewed")
PAYMENT_TICKET = FamilyMail("payment_ticket", first_only=True)
DOSSIER_REMINDER = FamilyMail("dossier_reminder")
CLOSURE_NOTICE = FamilyMail("closure_notice")  # one mail per family and mass closure


def recipients(mail: FamilyMail, emails: list[str]) -> list[str]:
    return emails[:1] if mail.first_only else list(emails)


def child_name(last_name: str | None, first_name: str | None) -> str:
    """"DUPONT Léa", as the mails name a child."""
    return f"{(last_name or '').upper()} {first_name or ''}".strip()
