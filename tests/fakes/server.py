"""Run an ASGI app on 127.0.0.1 with uvicorn in a thread; record requests and inject faults.

``serve(app)`` is the reusable part: it binds port 0, starts uvicorn in a daemon thread, waits until
it listens, yields the base URL and shuts the server down cleanly (no leaked sockets or threads).

``FakeServer`` is the base of the fakes: wrap the app with :meth:`FakeServer.asgi` and every request
is recorded (method, path, query, headers, raw body), and the test can script answers for a method
and a path pattern that take the place of the app's, once each, in order:

- :class:`Reply` answers with a status, a body and headers instead of the app (429, 500, 400 ...);
- :class:`Hang` lets the app act (an issue *is* created) and then holds the answer back longer than
  the client waits, the classic unclear outcome; :meth:`FakeServer.release` sends the held answers;
- :class:`Drop` lets the app act and then cuts the connection in the middle of the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@contextlib.contextmanager
def serve(app: ASGIApp, *, name: str = "fake", lifespan: str = "off") -> Iterator[str]:
    """Serve ``app`` on ``127.0.0.1:<free port>`` for the duration of the block; yields the base URL.

    ``lifespan="on"`` runs the app's startup and shutdown (the service's in-process worker)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan=lifespan,  # type: ignore[arg-type]
        loop="asyncio",
        http="h11",
        ws="none",
        log_config=None,  # leave the test process's logging configuration alone
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"{name}-server", daemon=True
    )
    thread.start()
    try:
        # The service's startup loads the model: on a busy machine that takes far longer than a fake's.
        deadline = time.monotonic() + (90 if lifespan == "on" else 10)
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {name} server did not start")
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"the {name} server did not stop")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: datetime = field(default_factory=lambda: datetime.now(UTC))  # when it arrived, complete

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Reply:
    """Answer with this instead of the app: a dict or list becomes JSON, a str text."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hang:
    """Let the app act, then hold the answer back for ``seconds`` (or until the client hangs up)."""

    seconds: float = 5.0


@dataclass(frozen=True)
class Drop:
    """Let the app act, send the status line and headers, then close the connection mid-body."""


Fault = Reply | Hang | Drop


class FakeServer:
    """Base for the fakes: recorded requests, scripted faults, and the ASGI wrapper that applies them."""

    url: str = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._scripts: list[tuple[str, str, list[Fault]]] = []
        self._releases = 0  # a hang ends when this changes

    def reset(self) -> None:
        """Forget recorded requests and unused scripted faults; answers still held back are sent."""
        with self._lock:
            self.requests.clear()
            self._scripts.clear()
            self._releases += 1

    def release(self) -> None:
        """Send the answers that :class:`Hang` faults hold back now, instead of at their end."""
        with self._lock:
            self._releases += 1

    def script(self, method: str, path: str, *faults: Fault) -> None:
        """Answer the next requests to ``method path`` (``fnmatch`` pattern, e.g. ``/rest/api/*/issue``)
        with ``faults``, one each, in order; after that the app answers again."""
        with self._lock:
            self._scripts.append((method.upper(), path, list(faults)))

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests matching ``method`` and the ``fnmatch`` pattern ``path``."""
        with self._lock:
            return [
                r for r in self.requests if r.method == method.upper() and fnmatch.fnmatchcase(r.path, path)
            ]

    def _next_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for script_method, pattern, faults in self._scripts:
                if faults and script_method == method and fnmatch.fnmatchcase(path, pattern):
                    return faults.pop(0)
        return None

    def asgi(self, app: ASGIApp) -> ASGIApp:
        """Wrap ``app``: record each request, then answer it as scripted or let ``app`` answer."""

        async def harness(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            body = b""
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            recorded = RecordedRequest(
                method=scope["method"],
                path=scope["path"],
                query=parse_qs(scope["query_string"].decode(), keep_blank_values=True),
                headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
                body=body,
            )
            with self._lock:
                self.requests.append(recorded)
            fault = self._next_fault(recorded.method, recorded.path)
            if isinstance(fault, Reply):
                await _send_reply(send, fault)
                return

            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            if fault is None:
                await app(scope, replay, send)
                return
            answer: list[Message] = []

            async def keep(message: Message) -> None:
                answer.append(message)

            await app(scope, replay, keep)  # the app acts: the remote side effect happens
            if isinstance(fault, Hang):
                # receive() returns http.disconnect once the client gives up; stop waiting then,
                # or when the test releases the answers.
                releases, loop = self._releases, asyncio.get_running_loop()
                gone = asyncio.ensure_future(receive())
                deadline = loop.time() + fault.seconds
                while not gone.done() and self._releases == releases and loop.time() < deadline:
                    await asyncio.wait({gone}, timeout=0.05)
                gone.cancel()
                for message in answer:
                    await send(message)
                return
            start = answer[0]  # Drop: headers promise a body that never comes
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", b"1000")]})
            await send({"type": "http.response.body", "body": b'{"id": "1', "more_body": True})
            # Returning now, with the body incomplete, makes uvicorn close the connection.

        return harness


async def _send_reply(send: Send, reply: Reply) -> None:
    if isinstance(reply.body, dict | list):
        payload, content_type = json.dumps(reply.body).encode(), "application/json;charset=UTF-8"
    elif isinstance(reply.body, bytes):
        payload, content_type = reply.body, "application/octet-stream"
    else:
        payload, content_type = (reply.body or "").encode(), "text/plain; charset=utf-8"
    headers = {"content-type": content_type, **{k.lower(): v for k, v in reply.headers.items()}}
    headers["content-length"] = str(len(payload))
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": payload})
