"""Overview: how much feedback came in and of what kind, how the mood goes, which problems grow,
and how long a report waits for its ticket. The counts come from ``feedback.stats`` and
``clusters.stats``; the charts are drawn here as SVG (``web.charts``), each with its numbers in a table.
"""

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from feedback_router.auth.deps import get_session
from feedback_router.clusters import stats as cluster_stats
from feedback_router.feedback import stats
from feedback_router.web.charts import PALETTE, line_chart, sparkline, stacked_bars
from feedback_router.web.pages import Viewer, language_of, manager, render, translator

router = APIRouter(include_in_schema=False)

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
WEEKLY_FROM = 60  # longer periods show the sentiment per week: a day has too few items to say much
SENTIMENT_COLORS = {"negative": "#b3261e", "neutral": "#5b6475", "positive": "#1d7a3a"}


def duration(t, wait: timedelta | None) -> str:  # type: ignore[no-untyped-def]
    """A wait in the largest units that say it: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    if wait is None:
        return "—"
    seconds = int(wait.total_seconds())
    if seconds < 60:
        return t("overview_seconds", s=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return t("overview_minutes", m=minutes)
    hours = minutes // 60
    if hours < 24:
        return t("overview_hours", h=hours, m=minutes % 60)
    return t("overview_days", d=hours // 24, h=hours % 24)


@router.get("/overview", response_class=HTMLResponse)
def overview(
    request: Request,
    days: int = DEFAULT_PERIOD,
    viewer: Viewer = Depends(manager),
    session: Session = Depends(get_session, scope="function"),
) -> HTMLResponse:
    """The last 7, 30 or 90 UTC days (today included)."""
    t = translator(language_of(request))
    period = days if days in PERIODS else DEFAULT_PERIOD
    calendar = stats.days_until(stats.today(), period)
    since = stats.start_of(calendar[0])
    labels = [d.strftime("%m-%d") for d in calendar]

    volume = stats.volume_by_kind(session, calendar)
    kind_name = {kind: t("overview_unclassified" if kind == stats.UNCLASSIFIED else kind) for kind in volume}
    shown = {kind_name[kind]: counts for kind, counts in volume.items() if any(counts)}
    kind_colors = {kind_name[kind]: color for kind, color in zip(volume, PALETTE, strict=False)}

    feelings = stats.sentiment_by_day(session, calendar)
    week = 7 if period >= WEEKLY_FROM else 1
    starts, sentiment_shares = stats.shares(feelings, size=week)
    sentiment_title = t("overview_sentiment_weekly" if week > 1 else "overview_sentiment_daily", days=period)
    return render(
        request,
        "overview.html",
        viewer,
        period=period,
        periods=PERIODS,
        days=[d.isoformat() for d in calendar],
        volume={kind_name[kind]: counts for kind, counts in volume.items()},
        volume_chart=stacked_bars(
            shown, labels, title=t("overview_volume_title", days=period), colors=kind_colors
        ),
        sentiment_days=[calendar[i].isoformat() for i in starts],
        sentiment_shares=sentiment_shares,
        sentiment_title=sentiment_title,
        sentiment_chart=line_chart(
            {t(name): values for name, values in sentiment_shares.items()},
            [calendar[i].strftime("%m-%d") for i in starts],
            title=sentiment_title,
            unit="%",
            max_value=100,
            colors={t(name): color for name, color in SENTIMENT_COLORS.items()},
        ),
        top=cluster_stats.top(session=session, since=since, days=period),
        sparkline=sparkline,
        waited=stats.time_to_ticket(session, since),
        totals=stats.totals(session, since),
        duration=duration,
    )
