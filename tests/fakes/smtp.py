"""A local SMTP server that speaks just enough of RFC 5321 for smtplib, recording what it receives.

No STARTTLS and no AUTH: tests configure the sender with ``starttls=False`` and no username.
``refuse`` makes it answer RCPT TO for an address with a 550, as a real server does.
"""

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message


@dataclass
class FakeSmtp:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.messages.clear()
        self.refuse.clear()


def _handler(fake: FakeSmtp) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def say(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.say("220 fake-smtp ready")
            recipients: list[str] = []
            while line := self.rfile.readline():
                command = line.decode(errors="replace").strip()
                verb = command.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.say("250 fake-smtp")
                elif verb == "MAIL":
                    recipients = []
                    self.say("250 OK")
                elif verb == "RCPT":
                    address = command.partition(":")[2].strip().strip("<>")
                    if address in fake.refuse:
                        self.say("550 5.1.1 no such user")
                    else:
                        recipients.append(address)
                        self.say("250 OK")
                elif verb == "DATA":
                    self.say("354 end with <CRLF>.<CRLF>")
                    data = b""
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    fake.messages.append(message_from_bytes(data, policy=policy.default))
                    self.say("250 OK queued")
                elif verb == "QUIT":
                    self.say("221 bye")
                    return
                else:
                    self.say("250 OK")

    return Handler


@contextmanager
def serve_smtp() -> Iterator[FakeSmtp]:
    fake = FakeSmtp()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="fake-smtp", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
