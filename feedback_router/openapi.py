"""The OpenAPI schema as the API really answers: one error body, and the status codes of each route.

FastAPI documents only the 2xx of a route and its own validation error, whose ``detail`` is a list;
ours is one line of text (app.py's handlers). Here every operation gets the errors its shape can
cause (a key, a body, parameters, a path id), each with ``ErrorBody``; codes only some routes answer
(409, the webhooks' 401 and 404, ...) are declared on those routes with ``responses=``.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from feedback_router.errors import ErrorBody

ERROR_REF = "#/components/schemas/ErrorBody"
FASTAPI_ERROR_REF = "#/components/schemas/HTTPValidationError"
REASONS = {
    400: "The body is not what this route reads (not JSON, not an object, not UTF-8 text)",
    401: "Missing or wrong API key; sign in or send 'Authorization: Bearer <key>'",
    403: "The key's role is too low, or a browser's write lacks its CSRF token",
    404: "No such item with this id",
    413: "The body is larger than the limit",
    422: "Invalid input: 'errors' names each field at fault",
    429: "Too many failed attempts; retry after Retry-After",
    503: "Unavailable for now (database down or overload); retry after Retry-After",
}


def _codes(operation: dict[str, Any]) -> set[int]:
    """The errors an operation can answer by its shape alone."""
    codes = {503}
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        codes |= {401, 403, 429}
    if "requestBody" in operation:
        codes |= {400, 413, 422}
    if parameters:
        codes.add(422)
    if any(p["in"] == "path" for p in parameters):
        codes.add(404)
    return codes


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add each operation's errors with ``ErrorBody``, replacing FastAPI's validation error schema."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(body.pop("$defs"))
    components["ErrorBody"] = body
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code in _codes(operation):
                responses.setdefault(str(code), {"description": REASONS[code]})
            for code, response in responses.items():
                content = response.get("content", {}).get("application/json", {})
                ref = content.get("schema", {}).get("$ref")
                if ref == FASTAPI_ERROR_REF:
                    response["description"] = REASONS[422]
                if int(code) >= 400 and ref in (None, FASTAPI_ERROR_REF):
                    response["content"] = {"application/json": {"schema": {"$ref": ERROR_REF}}}
    return schema


def install(app: FastAPI) -> None:
    """Serve ``document_errors``' schema at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(
                get_openapi(title=app.title, version=app.version, routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
