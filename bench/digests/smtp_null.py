"""A local SMTP server that does not parse (the floor of a mail hand-off): it speaks just enough SMTP for
aiosmtplib (EHLO, MAIL, RCPT, DATA up to the lone dot, RSET, NOOP, QUIT), answers 250 at once and keeps,
per mail, only its RCPT TO addresses. Run in its own process by bench.digests:

    python -m bench.digests.smtp_null PORT OUT      (on SIGTERM: one line per mail, its recipients, in OUT)
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import ClassVar

EHLO = b"250-null-sink\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n"


class NullSmtp(asyncio.Protocol):
    mails: ClassVar[list[str]] = []

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        self.rcpt: list[str] = []
        transport.write(b"220 null-sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buffer = self.buffer[end + 5:]
                self.in_data = False
                NullSmtp.mails.append(", ".join(self.rcpt))
                self.rcpt = []
                self.transport.write(b"250 2.0.0 accepted\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2:]
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.transport.write(EHLO)
            elif verb == b"RCPT":
                self.rcpt.append(line.split(b":", 1)[1].split(b">")[0].strip(b" <").decode(errors="replace"))
                self.transport.write(b"250 2.1.5 ok\r\n")
            elif verb == b"DATA":
                self.in_data = True
                self.transport.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.transport.write(b"221 bye\r\n")
                self.transport.close()
                return
            else:  # HELO, MAIL, RSET, NOOP
                if verb in (b"MAIL", b"RSET"):
                    self.rcpt = []
                self.transport.write(b"250 ok\r\n")


async def main(port: int, out: str) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(NullSmtp, "127.0.0.1", port)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()
    Path(out).write_text("".join(m + "\n" for m in NullSmtp.mails), encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
