"""/v1/clusters: product reports grouped by problem; managers merge, split and rename them."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session, require
from feedback_router.auth.models import Role
from feedback_router.clusters import service
from feedback_router.clusters.models import ClusterStatus
from feedback_router.clusters.schemas import (
    ClusterDetail,
    ClusterItem,
    ClusterPatch,
    ClusterRead,
    MergeIn,
    SplitIn,
)
from feedback_router.feedback.schemas import TicketSummary
from feedback_router.openapi import Moment
from feedback_router.tickets.models import Ticket

router = APIRouter(prefix="/v1/clusters", tags=["clusters"], dependencies=[Depends(require(Role.manager))])


def _detail(session: Session, cluster_id: int) -> ClusterDetail:
    cluster = service.get(session=session, cluster_id=cluster_id)
    tickets = session.scalars(select(Ticket).where(Ticket.cluster_id == cluster.id).order_by(Ticket.id)).all()
    return ClusterDetail(
        **ClusterRead.model_validate(cluster).model_dump(),
        summary=service.summary(session, cluster),
        tickets=[TicketSummary.model_validate(t) for t in tickets],
        items=[ClusterItem.model_validate(i) for i in service.items(session, cluster.id)],
    )


@router.get("", response_model=list[ClusterRead])
def list_clusters(
    session: Session = Depends(get_session),
    status: ClusterStatus | None = None,
    team: str | None = None,
    since: Moment | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ClusterRead]:
    found = service.list_clusters(session=session, status=status, team=team, since=since, limit=limit)
    return [ClusterRead.model_validate(c) for c in found]


@router.get("/{cluster_id}", response_model=ClusterDetail)
def get_cluster(cluster_id: int, session: Session = Depends(get_session)) -> ClusterDetail:
    return _detail(session, cluster_id)


@router.post("/{cluster_id}/merge", response_model=ClusterDetail)
def merge(cluster_id: int, body: MergeIn, session: Session = Depends(get_session)) -> ClusterDetail:
    target = service.merge(session=session, cluster_id=cluster_id, into=body.into)
    session.flush()
    return _detail(session, target.id)


@router.post("/{cluster_id}/split", response_model=ClusterDetail, status_code=201)
def split(cluster_id: int, body: SplitIn, session: Session = Depends(get_session)) -> ClusterDetail:
    new = service.split(session=session, cluster_id=cluster_id, feedback_ids=body.feedback_ids)
    session.flush()
    return _detail(session, new.id)


@router.patch("/{cluster_id}", response_model=ClusterDetail)
def rename(cluster_id: int, body: ClusterPatch, session: Session = Depends(get_session)) -> ClusterDetail:
    service.rename(session=session, cluster_id=cluster_id, title=body.title)
    session.flush()
    return _detail(session, cluster_id)
