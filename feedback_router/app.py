"""create_app(): routers, error handlers, body limits and the worker's lifespan."""

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from multiprocessing.synchronize import Event
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feedback_router import __version__, db, openapi, worker
from feedback_router.clusters.routes import router as clusters_router
from feedback_router.config import get_settings
from feedback_router.digests.routes import router as digests_router
from feedback_router.erasure.routes import router as erasure_router
from feedback_router.errors import DomainError, Unavailable, field_messages
from feedback_router.feedback import capture
from feedback_router.feedback.routes import router as feedback_router
from feedback_router.health import router as health_router
from feedback_router.logging import configure_logging
from feedback_router.loopback.routes import router as loopback_router
from feedback_router.routing import live
from feedback_router.routing.routes import router as routing_router
from feedback_router.tickets.routes import router as tickets_router
from feedback_router.web import router as web_router
from feedback_router.web.pages import STATIC, SignInRequired, sign_in_path

log = logging.getLogger(__name__)

BAD_BODY = {"json_invalid", "model_attributes_type", "dict_type", "list_type"}
DATABASE_RETRY_AFTER = 5  # seconds: a restart or failover of the database usually takes about this
# Requests served at once; each holds at most one database connection, so some are left for the worker.
MAX_CONCURRENT_REQUESTS = db.POOL_SIZE - 8
SQLITE_BUSY = 5  # SQLITE_BUSY, the low byte of its extended codes


def _error_response(exc: DomainError) -> JSONResponse:
    """A domain error as the API answers it: its status, a JSON reason and, where set, Retry-After."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)


class AdmissionLimit:
    """Answers 503 with ``Retry-After`` at once while ``limit`` requests are being served.

    Over the limit a request gets a fast answer it can retry instead of a place in a queue that
    makes every request late; and as no more requests than connections are admitted, no request
    waits for a database connection that another waiting request holds.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_CONCURRENT_REQUESTS) -> None:
        self.app = app
        self.limit = limit
        self.active = 0  # changed on the event loop only: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            busy = Unavailable(f"the service is busy ({self.limit} requests at once): try again shortly")
            await _error_response(busy)(scope, receive, send)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class BodyLimit:
    """Answers 413 for bodies over the limit, by Content-Length or by counting a streamed body.

    The body is read here, before the app, because FastAPI turns any error raised while it reads
    the body into a 400.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        limit = settings.max_batch_body_bytes if scope["path"].endswith("/batch") else settings.max_body_bytes
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            received += len(message.get("body", b""))
            if received > limit:
                await self._refuse(scope, receive, send, limit)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = JSONResponse({"detail": f"request body is larger than {limit} bytes"}, status_code=413)
        await response(scope, receive, send)


class NoSniff:
    """``X-Content-Type-Options: nosniff`` on every answer: browsers take JSON for JSON, never for a page
    or a script."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header if scope["type"] == "http" else send)


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    body_errors = [e for e in exc.errors() if e["loc"] and e["loc"][0] == "body"]
    for error in body_errors:
        if error["type"] == "json_invalid":
            reason = error.get("ctx", {}).get("error", "")
            return JSONResponse({"detail": f"request body is not valid JSON: {reason}".rstrip(": ")}, 400)
        if len(error["loc"]) == 1 and error["type"] in BAD_BODY | {"missing"}:
            return JSONResponse(
                {"detail": "request body must be a JSON object (see /docs for its fields)"}, 400
            )
    errors = field_messages(exc.errors())
    return JSONResponse({"detail": "invalid input", "errors": errors}, status_code=422)


async def _sign_in(_: Request, exc: SignInRequired) -> RedirectResponse:
    return RedirectResponse(sign_in_path(exc.next_path), status_code=303)


async def _method_not_allowed(request: Request, exc: HTTPException) -> JSONResponse:
    """405 with every method of the path in ``Allow``: Starlette names only the first route's."""
    methods = {
        method
        for route in request.app.routes
        if route.matches(request.scope)[0] == Match.PARTIAL
        for method in getattr(route, "methods", None) or ()
    }
    return JSONResponse({"detail": exc.detail}, 405, headers={"Allow": ", ".join(sorted(methods))})


async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
    return _error_response(exc)


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    """No pooled connection free in time, SQLite's write lock held too long, or the database out of
    reach: the client may try again. Hosts, ports and driver messages stay in the log."""
    code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
    if isinstance(exc, PoolTimeout) or (code is not None and code & 0xFF == SQLITE_BUSY):
        return _error_response(Unavailable("the database is busy: try again shortly"))
    log.warning("database unavailable: %s", exc)
    return _error_response(
        Unavailable("the database is unavailable: try again shortly", retry_after=DATABASE_RETRY_AFTER)
    )


async def _value_refused(_: Request, exc: DataError) -> JSONResponse:
    """A value the schemas let through but the database cannot hold (e.g. NUL in a form field)."""
    log.warning("database refused a value of the request: %s", exc.orig)
    return JSONResponse(
        {"detail": "a value in the request cannot be stored or searched (a NUL character, or out of range)"},
        status_code=422,
    )


class WorkerProcess:
    """The embedded default's worker in a process of its own, started and stopped by `serve`.

    As a thread it shared the API's interpreter lock: embedding a batch held up the event loop and
    the capture writer. Captures wake it through ``wake`` (worker.notify); it stops when ``stop()``
    asks, on its own SIGTERM, or when the API process is gone.
    """

    STOP_SECONDS = 3.0  # then it is killed: `serve` ends within 10 s of SIGTERM (cli.STOP_DEADLINE_SECONDS)

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # the model's thread pools do not survive a fork
        self._wake = context.Event()
        self._stopping = context.Event()
        self._reloads = context.Event()  # set once it reloads on SIGHUP (before, SIGHUP would end it)
        self._ready = context.Event()  # set once its model is loaded
        self.process = context.Process(
            target=_run_worker_process,
            args=(self._wake, self._stopping, self._reloads, self._ready),
            name="feedback-router-worker",
        )
        self.process.start()
        # Rules reloaded here (POST /v1/admin/reload, SIGHUP to serve) are reloaded there too.
        self._forget_reload = live.also_on_reload(self.reload_rules)

    def reload_rules(self) -> None:
        # Not yet listening: it has not read the rules yet either, and will read the new file.
        if self._reloads.is_set() and self.process.pid is not None and self.process.is_alive():
            os.kill(self.process.pid, signal.SIGHUP)

    def wake(self) -> None:
        if not self._wake.is_set():
            self._wake.set()

    async def until_ready(self) -> None:
        """Wait until it has loaded the model, as `serve` did before answering when the worker was a
        thread: a model that cannot be loaded stops the start, and a load never competes with captures."""
        while not self._ready.is_set():
            if not self.process.is_alive():
                raise RuntimeError("the worker process ended while it started (its error is logged above)")
            await asyncio.sleep(0.1)

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        """Ask it to stop after its current batch; kill it after STOP_SECONDS (a batch it was processing
        is retaken when its lease runs out)."""
        self._forget_reload()
        self._stopping.set()
        self._wake.set()
        self.process.join(timeout=self.STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _run_worker_process(wake: Event, stopping: Event, reloads: Event, ready: Event) -> None:
    """The worker process: the in-process worker's thread, woken from the API process."""
    # Ctrl-C reaches the whole process group: the API process stops this one in its turn.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    settings = get_settings()
    live.reload_on_sighup(settings.routing_file)  # the API process passes its reloads on (reload_rules)
    reloads.set()
    configure_logging(log_format=settings.log_format)
    worker.start_in_process(settings)
    ready.set()
    parent = multiprocessing.parent_process()
    try:
        while not stopping.is_set() and (parent is None or parent.is_alive()):
            if wake.wait(timeout=1.0):
                wake.clear()
                worker.notify(settings)
    finally:
        worker.stop_in_process()
    # Skip the interpreter's teardown: on a busy machine freeing the model took seconds, past the
    # time `serve` gives it to stop. Its work is committed; only the log is left to flush.
    logging.shutdown()
    os._exit(0)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    process = None
    if settings.redis_url:
        worker.configure_celery(settings)
    elif app.state.start_worker == "process":
        process = WorkerProcess()
        worker.use_worker_process(process)
        await process.until_ready()
    elif app.state.start_worker:
        worker.start_in_process(settings)
    try:
        yield
    finally:
        capture.stop_writers()  # after the open requests: their items are committed first
        worker.stop_in_process()
        if process is not None:  # here, not after uvicorn's run(): that ends by re-raising SIGTERM
            process.stop()
            worker.use_worker_process(None)


def create_app(*, start_worker: bool | Literal["process"] = True) -> FastAPI:
    """The API. Without Redis, ``start_worker`` runs the worker with the app: in a thread, or in a
    process of its own with ``"process"`` (as `serve` does)."""
    # /docs is the web app's page (web.routes), with Swagger UI's files in static/swagger-ui: the
    # built-in pages would load them from a CDN (ReDoc too, so it is off).
    app = FastAPI(
        title="feedback-router", version=__version__, lifespan=_lifespan, docs_url=None, redoc_url=None
    )
    app.state.start_worker = start_worker
    app.add_middleware(BodyLimit)
    app.add_middleware(AdmissionLimit)  # runs before the body limit: a refused request is not read
    app.add_middleware(NoSniff)  # outermost: every answer says nosniff, a refused one too
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(SignInRequired, _sign_in)  # type: ignore[arg-type]
    for unavailable in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(unavailable, _database_unavailable)
    app.add_exception_handler(DataError, _value_refused)  # type: ignore[arg-type]
    app.add_exception_handler(405, _method_not_allowed)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    routers = (
        feedback_router,
        routing_router,
        tickets_router,
        clusters_router,
        loopback_router,
        erasure_router,
        health_router,
        web_router,
    )
    for router in routers:
        app.include_router(router)
    app.include_router(digests_router)
    openapi.install(app)
    return app
