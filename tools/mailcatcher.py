"""Local development/test mail catcher (in the spirit of MailHog).

Accepts SMTP with aiosmtpd, keeps every message in memory and as an ``.eml``
file, and serves a small French web UI plus a JSON API with aiohttp.

Run it with ``python -m tools.mailcatcher``. Settings (environment):

- ``PORTAIL_MAILCATCHER_HOST`` (default ``127.0.0.1``)
- ``PORTAIL_MAILCATCHER_SMTP_PORT`` (default ``1025``)
- ``PORTAIL_MAILCATCHER_HTTP_PORT`` (default ``8025``)
- ``PORTAIL_MAILCATCHER_DIR`` (default ``var/mail``)

Tests can run it in-process with :class:`MailCatcher`; port ``0`` picks a free
port, and the actual ports are available after :meth:`MailCatcher.start`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import signal
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

log = logging.getLogger("portail.mailcatcher")

# Envelope data is prepended to the stored .eml so it survives a restart.
_MAIL_FROM_HEADER = "X-Mailcatcher-Mail-From"
_RCPT_TO_HEADER = "X-Mailcatcher-Rcpt-To"


@dataclass
class CaughtMessage:
    """One received message, with its decoded parts."""

    id: str
    received_at: datetime
    mail_from: str
    to: list[str]
    raw: bytes
    path: Path
    subject: str = ""
    text: str | None = None
    html: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def parse(cls, id_: str, received_at: datetime, mail_from: str, to: list[str], raw: bytes, path: Path):
        msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
        return cls(
            id=id_,
            received_at=received_at,
            mail_from=mail_from,
            to=to,
            raw=raw,
            path=path,
            subject=str(msg.get("Subject", "")),
            text=_part_content(msg, "plain"),
            html=_part_content(msg, "html"),
            headers=[(k, str(v)) for k, v in msg.items() if not k.startswith("X-Mailcatcher-")],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "mail_from": self.mail_from,
            "to": list(self.to),
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
        }


def _part_content(msg: EmailMessage, subtype: str) -> str | None:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    content = part.get_content()
    return content.replace("\r\n", "\n") if isinstance(content, str) else None


def _accept_any_login(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any):
    """Development only: any credentials are accepted, so services configured with AUTH work."""
    return AuthResult(success=True)


class MailCatcher:
    """SMTP sink + web UI, runnable inside an existing asyncio loop."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        smtp_port: int = 1025,
        http_port: int = 8025,
        directory: str | os.PathLike[str] = "var/mail",
    ) -> None:
        self.host = host
        self.smtp_port = smtp_port
        self.http_port = http_port
        self.directory = Path(directory)
        self.messages: list[CaughtMessage] = []
        self._seq = 0
        self._smtp_server: asyncio.AbstractServer | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._load_existing()
        loop = asyncio.get_running_loop()
        self._smtp_server = await loop.create_server(self._smtp_protocol, self.host, self.smtp_port)
        self.smtp_port = self._smtp_server.sockets[0].getsockname()[1]
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.http_port)
        await site.start()
        self.http_port = self._runner.addresses[0][1]
        log.info(
            "mailcatcher listening: smtp=%s:%s http=%s:%s dir=%s",
            self.host,
            self.smtp_port,
            self.host,
            self.http_port,
            self.directory,
        )

    async def stop(self) -> None:
        if self._smtp_server is not None:
            self._smtp_server.close()
            await self._smtp_server.wait_closed()
            self._smtp_server = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _smtp_protocol(self) -> SMTP:
        return SMTP(
            self,
            hostname="portail-mailcatcher",
            enable_SMTPUTF8=True,
            auth_require_tls=False,
            authenticator=_accept_any_login,
        )

    # -- storage -----------------------------------------------------------

    # aiosmtpd handler hook (the name is imposed by aiosmtpd).
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else content.encode("utf-8")
        self.store(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        return "250 Message accepted for delivery"

    def store(self, mail_from: str, to: list[str], raw: bytes) -> CaughtMessage:
        now = datetime.now(UTC)
        self._seq += 1
        # Timestamp then sequence number: lexical order is arrival order.
        msg_id = f"{now:%Y%m%dT%H%M%S%fZ}-{self._seq:06d}-{uuid.uuid4().hex[:8]}"
        path = self.directory / f"{msg_id}.eml"
        envelope = f"{_MAIL_FROM_HEADER}: {mail_from}\r\n{_RCPT_TO_HEADER}: {', '.join(to)}\r\n"
        path.write_bytes(envelope.encode("utf-8") + raw)
        message = CaughtMessage.parse(msg_id, now, mail_from, to, raw, path)
        self.messages.append(message)
        log.info("mail received id=%s from=%s to=%s", msg_id, mail_from, to)
        return message

    def _load_existing(self) -> None:
        self.messages = []
        for path in sorted(self.directory.glob("*.eml")):
            data = path.read_bytes()
            head = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
            stamp = path.stem.split("-", 1)[0]
            try:
                received_at = datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
            except ValueError:
                received_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            to = [a.strip() for a in str(head.get(_RCPT_TO_HEADER, "")).split(",") if a.strip()]
            self.messages.append(
                CaughtMessage.parse(
                    path.stem, received_at, str(head.get(_MAIL_FROM_HEADER, "")), to, data, path
                )
            )

    def clear(self) -> None:
        for message in self.messages:
            message.path.unlink(missing_ok=True)
        self.messages = []

    def get(self, msg_id: str) -> CaughtMessage:
        for message in self.messages:
            if message.id == msg_id:
                return message
        raise web.HTTPNotFound(text="Message introuvable")

    # -- HTTP --------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._index)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/messages/{id}", self._show)
        app.router.add_get("/messages/{id}/html", self._show_html)
        app.router.add_get("/messages/{id}/raw", self._show_raw)
        app.router.add_get("/api/messages", self._api_list)
        app.router.add_delete("/api/messages", self._api_clear)
        return app

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _api_list(self, request: web.Request) -> web.Response:
        return web.json_response([m.to_json() for m in self.messages])

    async def _api_clear(self, request: web.Request) -> web.Response:
        self.clear()
        return web.json_response({"deleted": True})

    async def _index(self, request: web.Request) -> web.Response:
        rows = (
            "".join(
                f"<tr><td>{m.received_at:%d/%m/%Y %H:%M:%S}</td><td>{_e(m.mail_from)}</td>"
                f"<td>{_e(', '.join(m.to))}</td>"
                f'<td><a href="/messages/{_e(m.id)}">{_e(m.subject or "(sans objet)")}</a></td></tr>'
                for m in reversed(self.messages)
            )
            or '<tr><td colspan="4">Aucun courrier reçu.</td></tr>'
        )
        body = (
            f"<h1>Courriers reçus ({len(self.messages)})</h1>"
            "<table><thead><tr><th>Date</th><th>De</th><th>À</th><th>Objet</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
        return _page("Courriers reçus", body)

    async def _show(self, request: web.Request) -> web.Response:
        m = self.get(request.match_info["id"])
        headers = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in m.headers)
        text = f"<h2>Texte</h2><pre>{_e(m.text)}</pre>" if m.text is not None else ""
        html_part = (
            f'<h2>HTML</h2><p><a href="/messages/{_e(m.id)}/html">Ouvrir la version HTML</a></p>'
            f'<iframe sandbox src="/messages/{_e(m.id)}/html"></iframe>'
            if m.html is not None
            else ""
        )
        body = (
            '<p><a href="/">&larr; Retour à la liste</a> · '
            f'<a href="/messages/{_e(m.id)}/raw">Télécharger le fichier .eml</a></p>'
            f"<h1>{_e(m.subject or '(sans objet)')}</h1>"
            f"<p>Reçu le {m.received_at:%d/%m/%Y à %H:%M:%S} (UTC) · "
            f"enveloppe : {_e(m.mail_from)} &rarr; {_e(', '.join(m.to))}</p>"
            f"<table>{headers}</table>{text}{html_part}"
        )
        return _page(m.subject or "Courrier", body)

    async def _show_html(self, request: web.Request) -> web.Response:
        m = self.get(request.match_info["id"])
        if m.html is None:
            raise web.HTTPNotFound(text="Ce courrier n'a pas de version HTML")
        return web.Response(
            text=m.html, content_type="text/html", headers={"Content-Security-Policy": "script-src 'none'"}
        )

    async def _show_raw(self, request: web.Request) -> web.Response:
        m = self.get(request.match_info["id"])
        return web.Response(
            body=m.raw,
            content_type="message/rfc822",
            headers={"Content-Disposition": f'attachment; filename="{m.id}.eml"'},
        )


def _e(value: str | None) -> str:
    return html.escape(value or "")


_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
    "pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}iframe{width:100%;height:30em;border:1px solid #ccc}"
)


def _page(title: str, body: str) -> web.Response:
    doc = (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return web.Response(text=doc, content_type="text/html")


async def serve() -> None:
    env = os.environ
    catcher = MailCatcher(
        host=env.get("PORTAIL_MAILCATCHER_HOST", "127.0.0.1"),
        smtp_port=int(env.get("PORTAIL_MAILCATCHER_SMTP_PORT", "1025")),
        http_port=int(env.get("PORTAIL_MAILCATCHER_HTTP_PORT", "8025")),
        directory=env.get("PORTAIL_MAILCATCHER_DIR", "var/mail"),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await catcher.start()
    try:
        await stop.wait()
    finally:
        await catcher.stop()


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("PORTAIL_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd protocol chatter
    asyncio.run(serve())


if __name__ == "__main__":
    main()
