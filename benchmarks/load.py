"""An open-loop load generator: POST requests sent on a fixed schedule, whatever the answers.

A closed loop (send, wait, send) slows down with the server and hides its queue; here request
``i`` leaves at ``start + i / rate`` on a free keep-alive connection (a new one when all are busy)
and its latency counts from that scheduled moment, so a stalled server shows as latency, not as
a lower rate. The client speaks HTTP/1.1 on asyncio streams itself: on a shared 2-core machine
it has to leave the CPU to the server it measures (an httpx client costs several times as much
per request). Only 127.0.0.1 is loaded.
"""

import asyncio
import json
import socket
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    """One request's outcome: ``status`` 0 when no answer came (timeout or connection error)."""

    status: int
    latency_s: float  # from the scheduled send to the end of the answer
    body: bytes = b""
    retry_after: str | None = None
    error: str | None = None


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
IDLE_SECONDS = 4.0  # under uvicorn's keep-alive timeout (5 s): older idle connections are not reused


@dataclass
class Connections:
    """Idle keep-alive connections to one host (with when each went idle), and how many were opened."""

    host: str
    port: int
    idle: list[tuple[float, Connection]] = field(default_factory=list)
    opened: int = 0

    async def take(self, *, fresh: bool = False) -> tuple[Connection, bool]:
        """A connection and whether it was reused; ``fresh`` opens a new one."""
        while self.idle and not fresh:
            since, connection = self.idle.pop()
            if time.perf_counter() - since < IDLE_SECONDS:
                return connection, True
            connection[1].close()
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port), False

    def give_back(self, connection: Connection) -> None:
        self.idle.append((time.perf_counter(), connection))

    def close(self) -> None:
        for _, (_, writer) in self.idle:
            writer.close()
        self.idle.clear()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


def _read_answer_sync(sock: socket.socket) -> tuple[int, bytes]:
    """Status and body of one answer on a blocking socket (for the few requests sent again afterwards)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of the answer")
        body += chunk
    return int(lines[0].split(" ", 2)[1]), body


async def _exchange(connections: Connections, request: bytes) -> Answer:
    """Send one request and read its answer, on an idle connection or a new one.

    A kept-alive connection that the server closed meanwhile (idle timeout) fails before any answer:
    the request is then sent once more on a new connection, as HTTP clients do.
    """
    for attempt in (1, 2):
        (reader, writer), reused = await connections.take(fresh=attempt == 2)
        try:
            writer.write(request)
            status, headers, body = await _read_answer(reader)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            writer.close()
            nothing_read = not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial
            if reused and nothing_read and attempt == 1:
                continue
            raise
        except BaseException:
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            connections.give_back((reader, writer))
        return Answer(status, 0.0, body, headers.get("retry-after"))
    raise AssertionError("unreachable")


async def _send(connections: Connections, request: bytes, scheduled: float, timeout: float) -> Answer:
    try:
        async with asyncio.timeout(max(scheduled + timeout - time.perf_counter(), 0.001)):
            answer = await _exchange(connections, request)
    except TimeoutError:
        return Answer(0, time.perf_counter() - scheduled, error="timeout")
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
        return Answer(0, time.perf_counter() - scheduled, error=type(exc).__name__)
    answer.latency_s = time.perf_counter() - scheduled
    return answer


def post_request(host: str, port: int, path: str, headers: dict[str, str], body: Any) -> bytes:
    data = json.dumps(body).encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def open_loop(
    *, host: str, port: int, requests: Sequence[bytes], rate: float, timeout: float
) -> tuple[list[Answer], float]:
    """Send ``requests`` (raw HTTP/1.1) at ``rate`` per second; returns the answers in order and the
    seconds the sending took (the achieved rate is ``len(requests) / that``)."""
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError("the load generator only loads 127.0.0.1")
    connections = Connections(host, port)
    tasks: list[asyncio.Task[Answer]] = []
    start = time.perf_counter() + 0.05
    for index, request in enumerate(requests):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_send(connections, request, scheduled, timeout)))
    sending_s = time.perf_counter() - start
    answers = await asyncio.gather(*tasks)
    connections.close()
    return answers, sending_s


def summarize(answers: Sequence[Answer]) -> dict[str, Any]:
    """Counts by outcome and latency percentiles of the answered requests."""
    from benchmarks.scenarios import percentile

    statuses = Counter(a.status for a in answers)
    answered = [a.latency_s * 1000 for a in answers if a.status]
    unavailable = [a for a in answers if a.status == 503]
    return {
        "sent": len(answers),
        "answered": len(answered),
        "2xx": sum(n for s, n in statuses.items() if 200 <= s < 300),
        "503": len(unavailable),
        "503_with_retry_after": sum(a.retry_after is not None for a in unavailable),
        "4xx": sum(n for s, n in statuses.items() if 400 <= s < 500),
        "5xx_other": sum(n for s, n in statuses.items() if s >= 500 and s != 503),
        "timeouts": sum(a.error == "timeout" for a in answers),
        "connection_errors": sum(a.status == 0 and a.error != "timeout" for a in answers),
        "errors": dict(Counter(a.error for a in answers if a.error and a.error != "timeout")),
        "statuses": {str(s): n for s, n in sorted(statuses.items())},
        "p50_ms": round(percentile(answered, 50), 1) if answered else None,
        "p99_ms": round(percentile(answered, 99), 1) if answered else None,
        "max_ms": round(max(answered), 1) if answered else None,
    }
