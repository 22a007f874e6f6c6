"""Clusters: every group of similar product reports with its trend, and one cluster's page.

The list reads what ``GET /v1/clusters`` lists (``clusters.service.list_clusters``, same filters).
A cluster's page acts through the API: rename (``PATCH /v1/clusters/{id}``), merge into another
open cluster of its team (``POST .../merge``), split checked items into a new cluster (``POST
.../split``).
"""

from datetime import UTC, date, datetime, time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session
from feedback_router.clusters import service, stats
from feedback_router.clusters.models import ClusterStatus
from feedback_router.config import get_settings
from feedback_router.errors import NotFound
from feedback_router.feedback.stats import days_until, today
from feedback_router.schemas import Id
from feedback_router.web.charts import line_chart, sparkline
from feedback_router.web.pages import Viewer, manager, render

router = APIRouter(include_in_schema=False)

LIST_LIMIT = 200
MERGE_CHOICES = 500


def _since(value: str | None) -> datetime | None:
    """The date field's day (YYYY-MM-DD) from midnight UTC; anything else is no filter."""
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC) if value else None
    except ValueError:
        return None


@router.get("/clusters", response_class=HTMLResponse)
def clusters_page(
    request: Request,
    status: str = ClusterStatus.open,
    team: str = "",
    since: str = "",
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """Open clusters by default, newest activity first; ``status=`` (empty) shows every state."""
    chosen_status = status if status in set(ClusterStatus) else None
    found = service.list_clusters(
        session=session, status=chosen_status, team=team or None, since=_since(since), limit=LIST_LIMIT
    )
    return render(
        request,
        "clusters.html",
        viewer,
        clusters=found,
        facts=stats.facts(session=session, cluster_ids=[c.id for c in found]),
        filters={"status": chosen_status or "", "team": team, "since": since if _since(since) else ""},
        statuses=[s.value for s in ClusterStatus],
        teams=sorted({*get_settings().cluster_teams, *stats.teams(session=session)}),
        sparkline=sparkline,
        spark_days=stats.SPARK_DAYS,
    )


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(
    request: Request,
    cluster_id: Id,
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """A cluster's counts, trend, mix, quotes, tickets and items, with rename, merge and split."""
    try:
        cluster = service.get(session=session, cluster_id=cluster_id)
    except NotFound:
        return render(request, "cluster.html", viewer, status=404, cluster=None, cluster_id=cluster_id)
    facts = stats.facts(session=session, cluster_ids=[cluster.id])[cluster.id]
    others = [
        c
        for c in service.list_clusters(
            session=session, status=ClusterStatus.open, team=cluster.team, since=None, limit=MERGE_CHOICES
        )
        if c.id != cluster.id
    ]
    days = [d.strftime("%m-%d") for d in days_until(today(), stats.SPARK_DAYS)]
    return render(
        request,
        "cluster.html",
        viewer,
        cluster=cluster,
        facts=facts,
        summary=service.summary(session, cluster),
        phrases=stats.key_phrases(session=session, cluster=cluster),
        items=service.items(session, cluster.id),
        merge_choices=sorted(others, key=lambda c: c.title.lower()),
        merged_from=stats.merged_from(session=session, cluster_id=cluster.id),
        target=service.get(session=session, cluster_id=cluster.merged_into_id)
        if cluster.merged_into_id
        else None,
        line_chart=line_chart,
        days=days,
    )
