"""An SMTP sink for the digest crash scenario: it keeps each mail (Message-ID, recipients, subject) as soon as
its data is complete and answers `250` a little later, the window in which a killed sender has handed a mail
over without knowing it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP


@dataclass(frozen=True)
class Mail:
    message_id: str
    to: tuple[str, ...]
    subject: str


class SmtpSink:
    """Keeps each mail as soon as its data is complete, then answers `250` after `answer_delay`
    seconds: a sender killed in that window has handed the mail over without knowing it (the case
    SMTP cannot make idempotent)."""

    def __init__(self, answer_delay: float = 0.03):
        self.answer_delay = answer_delay
        self.received: list[Mail] = []
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="faults-sink", enable_SMTPUTF8=True), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def handle_DATA(self, _server, _session, envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else content.encode()
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        self.received.append(Mail(str(msg["Message-ID"]), tuple(envelope.rcpt_tos), str(msg["Subject"])))
        await asyncio.sleep(self.answer_delay)
        return "250 Message accepted for delivery"
