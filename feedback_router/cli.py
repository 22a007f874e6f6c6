"""The feedback-router command: serve, worker, import, classify, migrate, apikey."""

import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from classifiers import ModelNotFoundError, resolve_model_path
from feedback_router.auth import service as keys
from feedback_router.auth.models import Role
from feedback_router.config import Settings, get_settings
from feedback_router.db import session_scope
from feedback_router.errors import DomainError
from feedback_router.feedback.models import Source
from feedback_router.logging import configure_logging
from feedback_router.routing import rules

app = typer.Typer(help="Route community feedback to the teams that act on it.", no_args_is_help=True)
apikey_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    # soft_wrap: rich would break a long message (and the paths in it) at 80 columns off a terminal.
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise fail(
            f"invalid FEEDBACK_ROUTER_* setting: {exc}".splitlines()[0] + " (see README, Settings)"
        ) from exc


def _migrate(settings: Settings) -> None:
    from feedback_router.migrate import upgrade

    upgrade(settings.database_url)


def _check_rules(settings: Settings) -> rules.RoutingConfig:
    try:
        return rules.load(settings.routing_file)
    except DomainError as exc:
        raise fail(exc.message) from exc


def _print_first_admin_key(settings: Settings) -> None:
    with session_scope(settings.database_url) as session:
        if keys.count(session=session):
            return
        _, secret = keys.create(session=session, role=Role.admin, name="first admin")
    typer.echo(f"Created the first admin API key (shown once, store it now):\n  {secret}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Start the API (and, without Redis, the in-process worker)."""
    import uvicorn

    from feedback_router import worker
    from feedback_router.app import create_app

    settings = _settings()
    _check_rules(settings)
    if settings.auto_migrate:
        _migrate(settings)
    try:
        if settings.redis_url:
            resolve_model_path(settings.embedding_model)
        else:
            worker.get_processor(
                settings
            )  # load the model now: a missing model stops the start, not the first item
    except ModelNotFoundError as exc:
        raise fail(str(exc)) from exc
    _print_first_admin_key(settings)
    uvicorn.run(create_app(), host=host or settings.host, port=port or settings.port, log_level="info")


@app.command()
def worker(
    beat: Annotated[bool, typer.Option(help="Also run the periodic outbox sweep")] = True,
) -> None:
    """Start a Celery worker on FEEDBACK_ROUTER_REDIS_URL; run as many as you like.

    Each worker is one process (the model's thread pool does not survive a fork): for more
    throughput start more workers, on this machine or others.
    """
    from feedback_router import worker as runtime

    settings = _settings()
    if not settings.redis_url:
        raise fail("FEEDBACK_ROUTER_REDIS_URL is not set; without Redis, 'serve' runs the worker in-process")
    _check_rules(settings)
    try:
        runtime.get_processor(settings)
    except ModelNotFoundError as exc:
        raise fail(str(exc)) from exc
    argv = ["worker", "--pool=solo", "--loglevel=INFO"]
    with tempfile.TemporaryDirectory(prefix="feedback-router-beat-") as schedule_dir:  # removed at exit
        if beat:
            argv += ["--beat", f"--schedule={schedule_dir}/schedule"]
        runtime.configure_celery(settings).worker_main(argv)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file; a 'text' column/field is required")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the file name)")
    ] = None,
    source: Annotated[
        Source | None, typer.Option(help="Source for lines that name none (default: api)")
    ] = None,
) -> None:
    """Import feedback; bad lines are listed with their reasons, good ones are kept."""
    from feedback_router import worker as runtime
    from feedback_router.feedback.importer import count_lines, import_file

    settings = _settings()
    if not file.is_file():
        raise fail(f"{file} is not a file")
    if settings.auto_migrate:
        _migrate(settings)
    columns = [
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("lines"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("import", total=count_lines(file))
        try:
            summary = import_file(
                database_url=settings.database_url,
                path=file,
                fmt=fmt,
                default_source=source.value if source else None,
                on_progress=lambda line: progress.update(task, completed=line),
                on_commit=lambda: runtime.notify(settings),
            )
        except DomainError as exc:
            raise fail(exc.message) from exc
    typer.echo(
        f"imported {summary.imported}, duplicates {summary.duplicates}, rejected {len(summary.rejected)}"
    )
    for line, reason in summary.rejected:
        typer.echo(f"  line {line}: {reason}")
    if summary.rejected:
        raise typer.Exit(1)


def _texts(lines: Iterator[str]) -> Iterator[str]:
    """Each line is a text, or a JSON object with a 'text' field."""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            if isinstance(record, dict) and isinstance(record.get("text"), str):
                yield record["text"]
                continue
        yield line


@app.command()
def classify(
    file: Annotated[
        str, typer.Argument(help="Text file, one text per line (or JSONL with 'text'); '-' is stdin")
    ],
) -> None:
    """Print the labels and the routing decision of each text as JSONL."""
    settings = _settings()
    routing = _check_rules(settings)
    if file != "-" and not Path(file).is_file():
        raise fail(f"{file} is not a file")
    try:
        from classifiers import FeedbackClassifier

        classifier = FeedbackClassifier.from_model(settings.embedding_model, settings.batch_size)
    except ModelNotFoundError as exc:
        raise fail(str(exc)) from exc
    handle = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
    with handle:
        batch: list[str] = []
        for text in [*_texts(handle), None]:
            if text is not None:
                batch.append(text)
            if batch and (text is None or len(batch) >= settings.batch_size):
                for item, result in zip(batch, classifier.classify(batch), strict=True):
                    decision = rules.decide(
                        routing, kind=result.kind, confidence=result.confidence, source="other"
                    )
                    print(json.dumps({
                        "text": item, "kind": result.kind, "confidence": result.confidence,
                        "scores": result.scores, "team": decision.team, "rule": decision.rule,
                        "reason": decision.reason, "evidence": result.evidence,
                        "model_version": result.model_version,
                    }, ensure_ascii=False))  # fmt: skip
                batch = []


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = _settings()
    _migrate(settings)
    typer.echo("database is up to date")


@apikey_app.command("create")
def apikey_create(
    role: Annotated[Role, typer.Option(help="forwarder (submit), manager (read and act) or admin")],
    name: Annotated[str, typer.Option(help="Who or what uses the key")] = "unnamed",
) -> None:
    """Create a key and print it once."""
    settings = _settings()
    if settings.auto_migrate:
        _migrate(settings)
    with session_scope(settings.database_url) as session:
        row, secret = keys.create(session=session, role=role, name=name)
    typer.echo(secret)
    err.print(f"key {row.id} ({row.role}, '{row.name}') created; it is not shown again", markup=False)


@apikey_app.command("list")
def apikey_list() -> None:
    """List keys (never their secrets)."""
    from sqlalchemy import select

    from feedback_router.auth.models import ApiKey

    with session_scope(_settings().database_url) as session:
        for row in session.scalars(select(ApiKey).order_by(ApiKey.id)):
            state = "revoked" if row.revoked_at else "active"
            typer.echo(f"{row.id}\t{row.role}\t{row.prefix}…\t{state}\t{row.name}")


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[int, typer.Argument(help="Id from 'apikey list'")]) -> None:
    """Revoke a key at once."""
    try:
        with session_scope(_settings().database_url) as session:
            keys.revoke(session=session, key_id=key_id)
    except DomainError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"key {key_id} revoked")


@app.callback()
def _logging(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging")] = False) -> None:
    configure_logging(verbose=verbose)


def main() -> None:
    """Console entry point: an unreachable database is one line and exit 2, not a traceback."""
    try:
        app()
    except OperationalError as exc:
        url = make_url(get_settings().database_url).render_as_string(hide_password=True)
        first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        err.print(f"error: cannot reach the database {url}: {first_line}", markup=False, soft_wrap=True)
        sys.exit(2)
