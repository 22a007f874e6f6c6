"""create_app(): routers, error handlers, body limits and the worker's lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feedback_router import __version__, openapi, worker
from feedback_router.clusters.routes import router as clusters_router
from feedback_router.config import get_settings
from feedback_router.digests.routes import router as digests_router
from feedback_router.errors import DomainError, field_messages
from feedback_router.feedback.routes import router as feedback_router
from feedback_router.health import router as health_router
from feedback_router.loopback.routes import router as loopback_router
from feedback_router.routing.routes import router as routing_router
from feedback_router.tickets.routes import router as tickets_router
from feedback_router.web import router as web_router
from feedback_router.web.pages import STATIC, SignInRequired, sign_in_path

BAD_BODY = {"json_invalid", "model_attributes_type", "dict_type", "list_type"}


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
    errors = field_messages(exc.errors())  # type: ignore[arg-type]
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
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    if settings.redis_url:
        worker.configure_celery(settings)
    elif app.state.start_worker:
        worker.start_in_process(settings)
    try:
        yield
    finally:
        worker.stop_in_process()


def create_app(*, start_worker: bool = True) -> FastAPI:
    """The API. Without Redis, ``start_worker`` runs the in-process worker with the app."""
    app = FastAPI(title="feedback-router", version=__version__, lifespan=_lifespan)
    app.state.start_worker = start_worker
    app.add_middleware(BodyLimit)
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(SignInRequired, _sign_in)  # type: ignore[arg-type]
    app.add_exception_handler(405, _method_not_allowed)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    routers = (
        feedback_router,
        routing_router,
        tickets_router,
        clusters_router,
        loopback_router,
        health_router,
        web_router,
    )
    for router in routers:
        app.include_router(router)
    app.include_router(digests_router)
    openapi.install(app)
    return app
