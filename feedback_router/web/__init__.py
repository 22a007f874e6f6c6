"""The community manager's web app, served by the service itself: one module per page."""

from fastapi import APIRouter

from feedback_router.web import (
    clusters,
    digests,
    forward,
    notices,
    overview,
    routes,
    routing,
    tickets,
    triage,
)

router = APIRouter(include_in_schema=False)
for page in (
    routes,
    forward,
    triage,
    tickets,
    digests,
    routing,
    clusters,
    notices,
    overview,
):
    router.include_router(page.router)
