"""The server helper: starts on a free port, records, injects faults, and shuts down cleanly."""

from __future__ import annotations

import threading

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.server import Drop, FakeServer, Hang, Reply, serve


class Counter(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/things")
        async def create(request: Request) -> JSONResponse:
            self.calls += 1
            return JSONResponse({"n": self.calls, "echo": (await request.body()).decode()}, status_code=201)

        return app


def test_serve_starts_on_a_free_port_and_stops() -> None:
    fake = Counter()
    with serve(fake.asgi(fake.app()), name="counter") as url:
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        response = httpx.post(url + "/things", content=b"hello", headers={"X-Test": "1"})
        assert response.status_code == 201 and response.json() == {"n": 1, "echo": "hello"}
    assert "counter-server" not in [thread.name for thread in threading.enumerate()]
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + "/things")

    [recorded] = fake.requests
    assert (recorded.method, recorded.path, recorded.body) == ("POST", "/things", b"hello")
    assert recorded.headers["x-test"] == "1"


def test_scripted_faults_apply_once_each_in_order() -> None:
    fake = Counter()
    with serve(fake.asgi(fake.app())) as url, httpx.Client(base_url=url, timeout=0.5) as client:
        fake.script(
            "POST", "/thing*", Reply(429, {"error": "slow"}, {"Retry-After": "1"}), Reply(500, "boom")
        )
        limited = client.post("/things")
        assert (limited.status_code, limited.headers["retry-after"], limited.json()) == (
            429,
            "1",
            {"error": "slow"},
        )
        assert client.post("/things").text == "boom"
        assert client.post("/things").status_code == 201
        assert fake.calls == 1  # replies stand in for the app

        fake.script("POST", "/things", Hang(seconds=30))
        with pytest.raises(httpx.ReadTimeout):
            client.post("/things")
        assert fake.calls == 2  # a hang acts first, then holds the answer back

        fake.script("POST", "/things", Drop())
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/things")
        assert fake.calls == 3
        assert client.post("/things").json()["n"] == 4  # and the server is fine afterwards
    assert len(fake.requests_to("POST", "/things")) == 6
