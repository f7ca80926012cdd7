"""The mail as written for SMTP (read back by a mail client's parser: what a family's client shows) and the
rule deciding what a failed attempt becomes."""

from __future__ import annotations

import email
import email.policy
import uuid

import aiosmtplib
import pytest

from services.notify.mailer import build_message
from services.notify.service.sending import after_failure
from services.notify.store.sending import Attempt, Delivery

MAIL_FROM = "Mairie d'Évry-Courcouronnes <ne-pas-repondre@example.fr>"
SUBJECT = "Compte-rendu de vos réservations — Mairie de CarteVille"
TEXT = ("M. DUPONT Jean-Paul\r\nVoici vos réservations d'été =_ à 100 %  \n.\n.ligne commençant par un point\n"
        + "DUPONT Paolo : lun. 10/05, mar. 11/05, " * 8 + "\nfin")
HTML = "<p>Réservations acceptées</p>\n" + "<li>DUPONT Paolo : lun. 10/05</li>" * 30


def read(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.SMTPUTF8)


def content(msg: email.message.EmailMessage, subtype: str) -> str:
    """A part's text, its lines ended by "\\n" (as tools.mailcatcher shows it)."""
    return msg.get_body((subtype,)).get_content().replace("\r\n", "\n")


@pytest.mark.parametrize("html", [HTML, None])
def test_a_mail_reads_back_as_written(html):
    mail = build_message(MAIL_FROM, ["jp.dupont@example.fr", "marie.dupont@example.fr"], SUBJECT, TEXT, html,
                         "<a1@example.fr>")
    msg = read(mail.data)
    assert msg["Subject"] == SUBJECT and str(msg["From"]) == MAIL_FROM and msg["Message-ID"] == "<a1@example.fr>"
    assert [a.addr_spec for a in msg["To"].addresses] == ["jp.dupont@example.fr", "marie.dupont@example.fr"]
    assert mail.sender == "ne-pas-repondre@example.fr" and not mail.smtputf8
    assert mail.recipients == ("jp.dupont@example.fr", "marie.dupont@example.fr")
    # the text as written, its line ends made uniform and a final one added (as EmailMessage did)
    assert content(msg, "plain") == TEXT.replace("\r\n", "\n") + "\n"
    if html:
        assert msg.get_content_type() == "multipart/alternative"
        assert content(msg, "html") == HTML + "\n"
    else:
        assert msg.get_content_type() == "text/plain" and not msg.is_multipart()
    # 7-bit, CRLF lines short enough for any relay (no 8BITMIME needed)
    assert mail.data.isascii() and b"\n" not in mail.data.replace(b"\r\n", b"")
    _, _, body = mail.data.partition(b"\r\n\r\n")
    assert max(len(line) for line in body.split(b"\r\n")) <= 76


def test_a_subject_on_several_lines_is_one_header_line():
    msg = read(build_message(MAIL_FROM, ["a@example.fr"], "Objet\nsur deux lignes", "Bonjour", None).data)
    assert msg["Subject"] == "Objet sur deux lignes"


def test_a_recipient_with_a_line_break_is_refused_rather_than_written_as_a_header():
    with pytest.raises(ValueError):
        build_message("Portail <portail@example.org>", ["parent@example.org\r\nBcc: x@example.net"], "Sujet",
                      "Bonjour", None)


def test_an_address_that_is_not_ascii_is_sent_with_smtputf8():
    mail = build_message(MAIL_FROM, ["élodie@exemple.fr"], SUBJECT, TEXT, HTML, "<a2@example.fr>")
    assert mail.smtputf8 and mail.recipients == ("élodie@exemple.fr",)
    msg = email.message_from_string(mail.data.decode("utf-8"), policy=email.policy.SMTPUTF8)  # UTF-8 headers
    assert msg["To"].addresses[0].addr_spec == "élodie@exemple.fr" and msg["Subject"] == SUBJECT
    assert content(msg, "plain") == TEXT.replace("\r\n", "\n") + "\n"


def attempt(attempts: int, repeats: int = 0) -> Attempt:
    delivery = Delivery(1, "sending", ("a@example.fr",), "Objet", "Bonjour", None, attempts, repeats, "message",
                        None, uuid.uuid4(), None)
    return Attempt(delivery, attempts, repeats, repeats > 0)


TEMPORARY = aiosmtplib.SMTPResponseException(451, "Réessayez plus tard")
PERMANENT = aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "Inconnu", "a@example.fr")])


def test_a_temporary_failure_waits_the_next_delay_then_becomes_final():
    delays = (30, 120)
    assert after_failure(TEMPORARY, attempt(1), delays) == (False, 30)
    assert after_failure(TEMPORARY, attempt(2), delays) == (False, 120)
    assert after_failure(TEMPORARY, attempt(3), delays) == (True, 0)
    assert after_failure(ConnectionRefusedError(), attempt(1), delays) == (False, 30)


def test_a_permanent_refusal_is_final_at_once_and_crashes_do_not_count_as_failures():
    assert after_failure(PERMANENT, attempt(1), (30, 120)) == (True, 0)
    # third attempt, the first two cut short by crashes: its first SMTP failure
    assert after_failure(TEMPORARY, attempt(3, repeats=2), (30, 120)) == (False, 30)
