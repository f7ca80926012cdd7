"""SMTP: the message of a delivery (its Message-ID the same at every attempt), one session kept open
while there is mail to send (aiosmtplib; the sender runs several such sessions in parallel, each its own
`Mailer`), the rate the relay accepts (`RateLimit`, shared by the sessions), and what a server's refusal
means (permanent or not)."""

from __future__ import annotations

import asyncio
import binascii
import uuid
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib
from aiosmtplib.email import flatten_message

_MESSAGE_IDS = uuid.UUID("6b0b7f3e-4f1c-5a53-9f43-70f5a1f3e614")


def message_id(event_id: uuid.UUID, template: str, mail_from: str) -> str:
    """The Message-ID of a delivery, the same for every attempt: derived from what identifies the
    delivery (its event and template), so a mail sent twice after a crash is recognisably one mail."""
    domain = mail_from.rstrip(">").rpartition("@")[2] or "portail-famille"
    return f"<{uuid.uuid5(_MESSAGE_IDS, f'{event_id}/{template}')}@{domain}>"


@dataclass(frozen=True)
class Mail:
    """A message ready for SMTP: its envelope and its bytes (`smtputf8`: an address is not ASCII)."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    smtputf8: bool = False


def build_message(mail_from: str, recipients: list[str], subject: str, text: str, html: str | None,
                  msg_id: str | None = None) -> Mail:
    """The mail of a delivery: the text (and the HTML alternative) in UTF-8, quoted-printable, so it needs
    no 8BITMIME. Written directly (headers, then the parts with the C quoted-printable encoder): the
    `email` package's header objects took about 3 ms of CPU per mail, most of a mail's hand-off; with
    addresses that are not ASCII (SMTPUTF8) it still builds the message."""
    domain = mail_from.rstrip(">").rpartition("@")[2] or "portail-famille"
    msg_id = msg_id or f"<{uuid.uuid4()}@{domain}>"
    name, sender = parseaddr(mail_from)
    if any("\r" in r or "\n" in r for r in recipients):  # a header written here is one line: no injection
        raise ValueError("adresse de destinataire invalide (saut de ligne)")
    if not (sender.isascii() and all(r.isascii() for r in recipients)):
        return _utf8_mail(mail_from, sender, recipients, subject, text, html, msg_id)
    subject = " ".join(subject.splitlines())  # a header is one line
    headers = [f"From: {formataddr((name, sender), charset='utf-8')}", "To: " + ",\r\n ".join(recipients),
               "Subject: " + (subject if subject.isascii() and len(subject) < 900
                              else Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")),
               f"Date: {formatdate(localtime=False)}", f"Message-ID: {msg_id}", "MIME-Version: 1.0"]
    if html:
        # a quoted-printable body never holds "=_" (its "=" are written "=3D"), so it cannot hold the boundary
        boundary = f"=_{uuid.uuid4().hex}"
        headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        body = (f"--{boundary}\r\n".encode() + _part("plain", text) + f"\r\n--{boundary}\r\n".encode()
                + _part("html", html) + f"\r\n--{boundary}--\r\n".encode())
    else:
        body = _part("plain", text, headers)
    return Mail(sender, tuple(recipients), "\r\n".join(headers).encode() + b"\r\n\r\n" + body)


def _part(subtype: str, content: str, headers: list[str] | None = None) -> bytes:
    """A text part (its headers then its body), or, with `headers`, the body of a single-part mail whose
    content headers are added to `headers`."""
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    if not content.endswith("\n"):
        content += "\n"  # as EmailMessage.set_content ends it
    own = [f'Content-Type: text/{subtype}; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"]
    encoded = binascii.b2a_qp(content.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    if headers is not None:
        headers.extend(own)
        return encoded
    return "\r\n".join(own).encode() + b"\r\n\r\n" + encoded


def _utf8_mail(mail_from: str, sender: str, recipients: list[str], subject: str, text: str, html: str | None,
               msg_id: str) -> Mail:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = msg_id
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return Mail(sender, tuple(recipients), flatten_message(msg, utf8=True), smtputf8=True)


class Mailer:
    """One SMTP session kept open while there is mail to send (a new connection per mail costs more
    than the mail); any error closes it and the next mail opens a fresh one."""

    def __init__(self, host: str, port: int, tls: str = "none", username: str | None = None,
                 password: str | None = None, timeout: float = 30):
        self.host, self.port, self.tls = host, port, tls
        self.username, self.password, self.timeout = username, password, timeout
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()  # one SMTP transaction at a time on the shared session

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            client = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=self.timeout,
                                     use_tls=self.tls == "tls", start_tls=self.tls == "starttls")
            await client.connect()
            if self.username:
                await client.login(self.username, self.password or "")
            self._client = client
        return self._client

    async def send(self, mail: Mail) -> str:
        """Send one mail; returns the server's answer. Raises aiosmtplib.SMTPException or OSError."""
        async with self._lock:
            return await self._send(mail)

    async def _send(self, mail: Mail) -> str:
        try:
            client = await self._connected()
            try:
                _errors, answer = await client.sendmail(mail.sender, mail.recipients, mail.data,
                                                        mail_options=await _options(client, mail))
            except aiosmtplib.SMTPServerDisconnected:  # the server closed an idle session: once more
                await self.close()
                client = await self._connected()
                _errors, answer = await client.sendmail(mail.sender, mail.recipients, mail.data,
                                                        mail_options=await _options(client, mail))
        except BaseException:
            await self.close()
            raise
        return answer

    def copy(self) -> Mailer:
        """Another session to the same server, with the same settings."""
        return Mailer(self.host, self.port, self.tls, self.username, self.password, self.timeout)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


async def _options(client: aiosmtplib.SMTP, mail: Mail) -> list[str]:
    """MAIL FROM's options: none for a 7-bit mail; SMTPUTF8 (and 8BITMIME when offered) for one to an
    address that is not ASCII, refused (SMTPNotSupported, retried) by a server without it."""
    if not mail.smtputf8:
        return []
    if client.is_ehlo_or_helo_needed:  # the extensions are known after EHLO
        await client.ehlo()
    if not client.supports_extension("smtputf8"):
        raise aiosmtplib.SMTPNotSupported("an address is not ASCII and the server does not offer SMTPUTF8")
    return ["SMTPUTF8"] + (["BODY=8BITMIME"] if client.supports_extension("8bitmime") else [])


class RateLimit:
    """At most `per_second` hand-offs per second over every session of a sender (real relays throttle,
    and refuse with 421/451 past their rate); 0: no limit. Spaced evenly, with a burst of one second."""

    def __init__(self, per_second: float = 0, clock=None):
        self.per_second = per_second
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._next: float | None = None
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if self.per_second <= 0:
            return
        async with self._lock:
            now = self._clock()
            interval = 1.0 / self.per_second
            # the schedule may lag behind now by a second at most: a burst after a quiet time is bounded
            slot = now if self._next is None else max(self._next, now - 1.0 + interval)
            self._next = slot + interval
        if slot > now:
            await asyncio.sleep(slot - now)


def smtp_answer(exc: BaseException) -> str:
    """What the server said, without the addresses (the delivery row already names the recipients)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.code} {r.message}" for r in exc.recipients)[:500]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"[:500]
    return (str(exc) or type(exc).__name__)[:500]


def is_permanent(exc: BaseException) -> bool:
    """5xx answers and refused recipients will not get better by retrying; 4xx, a refused or lost
    connection and timeouts will."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(getattr(r, "code", 550) >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(exc, aiosmtplib.SMTPConnectError):
        return exc.code >= 500
    return False
