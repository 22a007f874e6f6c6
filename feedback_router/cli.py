"""The feedback-router command: serve, worker, import, classify, route, eval, erase, migrate, apikey, user."""

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from classifiers import MODELS, ModelNotFoundError, resolve_model_path
from classifiers.topics import TaxonomyError
from feedback_router.auth import service as keys
from feedback_router.auth.models import Role
from feedback_router.config import Settings, get_settings
from feedback_router.db import session_scope
from feedback_router.errors import DomainError
from feedback_router.feedback.models import Source
from feedback_router.logging import configure_logging
from feedback_router.routing import live, rules

if TYPE_CHECKING:
    from classifiers.evaluation.suite import SuiteReport, TaskResult
    from classifiers.pipeline import Classification
    from feedback_router.processor import Processor

app = typer.Typer(help="Route community feedback to the teams that act on it.", no_args_is_help=True)
apikey_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
user_app = typer.Typer(help="Create, list and disable web app accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
routes_app = typer.Typer(help="Check routing files.", no_args_is_help=True)
app.add_typer(routes_app, name="routes")
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
            f"invalid FEEDBACK_ROUTER_* setting: {exc}".splitlines()[0] + " (see docs/settings.md)"
        ) from exc


def _migrate(settings: Settings) -> None:
    from feedback_router.migrate import upgrade

    upgrade(settings.database_url)


def _check_rules(settings: Settings) -> rules.RoutingConfig:
    try:
        return rules.load(settings.routing_file)
    except DomainError as exc:
        raise fail(exc.message) from exc


def _check_sinks(settings: Settings) -> None:
    """A service that would route to a tool it cannot reach stops at start, saying what is missing."""
    from feedback_router.tickets.delivery import unconfigured

    problems = unconfigured(routing=_check_rules(settings), settings=settings)
    if problems:
        raise fail("; ".join(problems))


def first_admin_key(settings: Settings) -> None:
    """At the first start (no key at all yet) make an admin key and print it, or, with
    ``ADMIN_KEY_FILE``, write it to that file (mode 0600) so that it stays out of the service's log."""
    with session_scope(settings.database_url) as session:
        if keys.count(session=session):
            return
        _, secret = keys.create(session=session, role=Role.admin, name="first admin")
        if settings.admin_key_file is None:
            typer.echo(f"Created the first admin API key (shown once, store it now):\n  {secret}")
            return
        path = settings.admin_key_file
        try:  # the key is stored only once the file holds it
            # O_NOFOLLOW: a link planted where the file goes cannot send the key elsewhere.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                os.fchmod(file.fileno(), 0o600)  # a file that was there keeps no wider mode
                file.write(secret + "\n")
        except OSError as exc:
            raise fail(f"cannot write the first admin key to {path}: {exc.strerror}") from exc
    typer.echo(f"Created the first admin API key, written to {path} (mode 0600)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Start the API (and, without Redis, the worker in a process beside it)."""
    settings = _settings()
    if not settings.redis_url and not os.environ.get(METRICS_DIR):
        # The worker process counts what it processed: /metrics adds it up with the API's figures through
        # prometheus-client's multiprocess mode, which must be on before prometheus-client is imported.
        os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="feedback-router-metrics-")
    from feedback_router.app import create_app

    _check_sinks(settings)
    if settings.auto_migrate:
        _migrate(settings)
    try:
        resolve_model_path(settings.embedding_model)  # a missing model stops the start, not the first item
    except ModelNotFoundError as exc:
        raise fail(str(exc)) from exc
    first_admin_key(settings)
    live.reload_on_sighup(settings.routing_file)
    config = uvicorn.Config(
        # without Redis the worker runs beside the API in a process of its own (app.WorkerProcess)
        create_app(start_worker="process"),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        access_log=settings.access_log,
        # JSON: uvicorn's lines go through ours (configure_logging); text: uvicorn's own, as they were
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=3,  # then the capture writers' and the worker's stop
        # Not httptools and uvloop where installed: with them, 500 captures/s on 2 busy cores left
        # a third of the requests without an answer in 10 s (timeouts, not 503s); these answered all.
        http="h11",
        loop="asyncio",
    )
    _StoppingServer(config).run()


STOP_DEADLINE_SECONDS = 9.0
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def _exit_now() -> None:
    err.print(
        f"error: not stopped {STOP_DEADLINE_SECONDS:.0f} s after the signal; exiting now", highlight=False
    )
    os._exit(1)


class _StoppingServer(uvicorn.Server):
    """uvicorn's server, which ends the process at the latest STOP_DEADLINE_SECONDS after SIGTERM or Ctrl-C.

    The stop is graceful first (open requests, then the worker's batch); what still runs at the
    deadline is cut, as a crash would cut it: an item whose 202 was sent is stored, one whose answer
    was not sent may be, and a retry with the same idempotency key finds it.
    """

    def handle_exit(self, sig: int, frame: Any) -> None:
        if not self.should_exit:
            deadline = threading.Timer(STOP_DEADLINE_SECONDS, _exit_now)
            deadline.daemon = True  # a graceful stop does not wait for it
            deadline.start()
        super().handle_exit(sig, frame)


@app.command()
def worker(
    beat: Annotated[bool, typer.Option(help="Also ask for the jobs at every sweep (Celery beat)")] = True,
    queues: Annotated[
        str, typer.Option(help="Queues to consume, comma-separated: classify, background (default both)")
    ] = "classify,background",
) -> None:
    """Start a Celery worker on FEEDBACK_ROUTER_REDIS_URL; run as many as you like.

    Each worker is one process that runs one task at a time (the model's thread pool does not survive
    a fork): for more throughput start more workers, on this machine or others. A worker on both
    queues classifies between calls to Jira, Slack and webhooks; start the two apart (``--queues
    classify`` and ``--queues background``) so that classification never waits for them.
    """
    from feedback_router import worker as runtime
    from feedback_router.processor import get_processor
    from feedback_router.queues import CLASSIFY, QUEUES

    settings = _settings()
    if not settings.redis_url:
        raise fail("FEEDBACK_ROUTER_REDIS_URL is not set; without Redis, 'serve' runs the worker in-process")
    chosen = [queue.strip() for queue in queues.split(",") if queue.strip()]
    unknown = sorted(set(chosen) - set(QUEUES))
    if unknown or not chosen:
        raise fail(f"unknown queue {', '.join(unknown) or '(none)'}; choose from {', '.join(QUEUES)}")
    _check_sinks(settings)
    if CLASSIFY in chosen:  # a background worker never loads the model
        try:
            get_processor(settings)
        except ModelNotFoundError as exc:
            raise fail(str(exc)) from exc
    runtime.reload_rules_on_sighup_when_ready(settings.routing_file)
    argv = ["worker", "--pool=solo", "--loglevel=INFO", f"--queues={','.join(chosen)}"]
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
def cluster(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file with a 'text' column/field")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="JSONL with each line's cluster (default: FILE.clusters.jsonl)"),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Markdown report (default: FILE.clusters.md)")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from the name)")] = None,
    threshold: Annotated[
        float | None, typer.Option(min=0.01, max=0.99, help="Similarity to join a cluster (default: tuned)")
    ] = None,
) -> None:
    """Cluster a file offline as the service would (online, then one re-clustering) and report."""
    from classifiers.labeler import embed_texts
    from feedback_router.clusters.offline import cluster_file
    from feedback_router.clusters.service import threshold as tuned_threshold
    from feedback_router.feedback.importer import count_lines

    settings = _settings()
    if not file.is_file():
        raise fail(f"{file} is not a file")
    try:
        embedder = _processor(settings).classifier.pipeline.get_component("embedder")
    except ModelNotFoundError as exc:
        raise fail(str(exc)) from exc
    columns = [TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("embed", total=count_lines(file))
        try:
            result = cluster_file(
                file,
                embed=lambda texts: embed_texts(embedder, texts),
                threshold=threshold or tuned_threshold(settings),
                fmt=fmt,
                on_progress=lambda done: progress.update(task, completed=done),
            )
        except DomainError as exc:  # an unknown format, a CSV without a text column
            problem = exc.message
        else:
            problem = ""
    if problem:
        raise fail(problem)
    out = out or file.with_suffix(".clusters.jsonl")
    report = report or file.with_suffix(".clusters.md")
    try:
        out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in result.rows), "utf-8")
        report.write_text(result.report, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {exc.filename}: {exc.strerror}") from exc
    print(f"{len(result.rows)} items in {result.clusters} clusters: {out}, {report}")
    for line in result.rejected:
        err.print(line, markup=False, highlight=False)
    if result.rejected:
        raise typer.Exit(1)


@app.command()
def classify(
    file: Annotated[
        str, typer.Argument(help="Text file, one text per line (or JSONL with 'text'); '-' is stdin")
    ],
) -> None:
    """Print every label and the routing decision of each text as JSONL.

    Uses the active model version of the database when there is one (see `train`), else the
    heads trained from the shipped seed sets.
    """
    settings = _settings()
    routing = _check_rules(settings)
    if file != "-" and not Path(file).is_file():
        raise fail(f"{file} is not a file")
    classifier = _processor(settings).classifier

    def route(result: "Classification", text: str) -> dict[str, Any]:
        decision = rules.decide(routing, rules.Labels.of(result, text=text, source="other"))
        return {"team": decision.team, "rule": decision.rule, "reason": decision.reason}

    handle = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
    with handle:
        batch: list[str] = []
        for text in [*_texts(handle), None]:
            if text is not None:
                batch.append(text)
            if batch and (text is None or len(batch) >= settings.batch_size):
                for item, result in zip(batch, classifier.classify(batch), strict=True):
                    labels = result.to_dict()
                    for part, line in zip(result.parts, labels["parts"], strict=True):
                        line.update(route(part.labels, item[part.start : part.end]))
                    print(json.dumps({"text": item, **labels, **route(result, item)}, ensure_ascii=False))
                batch = []


def _processor(settings: Settings) -> "Processor":
    """The worker's classifier, with the active model version of the database when there is one."""
    from feedback_router.processor import get_processor

    try:
        processor = get_processor(settings)
    except (ModelNotFoundError, TaxonomyError) as exc:
        raise fail(str(exc)) from exc
    with contextlib.suppress(OperationalError):  # no database (yet): the seed-trained heads serve
        processor.refresh(settings)
    return processor


def _explanation_lines(decision: rules.RouteDecision) -> list[str]:
    labels = decision.labels
    shown = {**labels.to_dict(), "confidence": f"{labels.confidence:.2f}"}
    lines = ["labels  " + ", ".join(f"{name} {_plain(value)}" for name, value in shown.items())]
    for index, trial in enumerate(decision.trials):
        mark, why = ("✓", ", ".join(trial.held) or "no conditions") if trial.matched else ("✗", trial.failed)
        lines.append(("rules   " if index == 0 else "        ") + f"{mark} {trial.rule}: {why}")
    if not decision.trials:
        lines.append("rules   none")
    lines.append(f"team    {decision.team}" + (f" (rule {decision.rule})" if decision.rule else ""))
    lines.append(f"reason  {decision.reason}")
    lines.append("sinks   " + (", ".join(sink.destination for sink in decision.sinks) or "none"))
    return lines


def _plain(value: object) -> str:
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


@app.command("route")
def route_(
    explain: Annotated[str, typer.Option("--explain", metavar="TEXT", help="The text to classify and route")],
    rules_file: Annotated[
        Path | None,
        typer.Option(
            "--rules", help="Routing file (default: FEEDBACK_ROUTER_ROUTING_FILE or the packaged one)"
        ),
    ] = None,
    source: Annotated[Source, typer.Option(help="The source the text came from")] = Source.api,
    meta: Annotated[
        list[str] | None,
        typer.Option(
            "--meta", metavar="KEY=VALUE", help="Metadata, e.g. author attributes (vip=true); repeat"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the explanation as the API returns it")
    ] = False,
) -> None:
    """Classify a text and explain its route: the labels, every rule tried and why, the team and sinks.

    A mixed message is routed part by part, as the service does; each part is explained.
    """
    settings = _settings()
    try:
        routing = rules.load(rules_file or settings.routing_file)
    except DomainError as exc:
        raise fail(exc.message) from exc
    metadata: dict[str, str] = {}
    for pair in meta or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail(f"--meta takes KEY=VALUE, not '{pair}'")
        metadata[key] = value
    text = explain.strip()
    if not text:
        raise fail("--explain needs a text")
    from feedback_router.routing.service import route_text

    found = route_text(
        classifier=_processor(settings).classifier,
        routing=routing,
        text=text,
        source=source.value,
        metadata=metadata,
    )
    if as_json:  # what POST /v1/routing/explain answers
        typer.echo(json.dumps(found.explain().model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    if not found.parts:
        typer.echo("\n".join(_explanation_lines(found.decision)))
        return
    typer.echo(f"mixed message: the service routes each of its {len(found.parts)} parts on its own")
    for number, (start, end, part_decision) in enumerate(found.parts, start=1):
        typer.echo(f"\npart {number} (characters {start}–{end}): {text[start:end]}")
        typer.echo("\n".join("  " + line for line in _explanation_lines(part_decision)))


@routes_app.command("check")
def routes_check(
    file: Annotated[
        Path | None,
        typer.Argument(help="Routing file (default: FEEDBACK_ROUTER_ROUTING_FILE or the packaged one)"),
    ] = None,
) -> None:
    """Check a routing file: 'N rules, M teams: ok', or one 'file:line: path: reason' per problem.

    The exit code is 0 for a valid file and 2 otherwise.
    """
    try:
        config = rules.load(file or _settings().routing_file)
    except rules.RoutingFileError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    except DomainError as exc:
        raise fail(exc.message) from exc
    count_rules, count_teams = live.counts(config)
    typer.echo(f"{_count(count_rules, 'rule')}, {_count(count_teams, 'team')}: ok")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _number(value: float | None, scale: float) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if scale == 100 else f"{value:.3f}"


def _report_table(report: "SuiteReport") -> Table:
    table = Table(title="Classifiers against published results")
    for column in ("task", "metric", "model", "heads", "ours", "published", "bar", "met?"):
        table.add_column(column, justify="right" if column in ("ours", "published", "bar") else "left")
    for result in report.results:
        task = result.task
        published = _number(task.published, task.scale)
        if task.best is not None:
            published += f" (best {_number(task.best, task.scale)})"
        table.add_row(
            task.name,
            task.metric,
            Path(result.model).name,  # a model folder by its name: the JSON has the whole path
            result.heads,
            _number(result.score, task.scale),
            published,
            _number(task.bar, task.scale),
            "[green]yes[/]" if result.met else "[red]no[/]",
        )
    return table


def _curve_table(result: "TaskResult") -> Table:
    """The learning curve's F1 per kind and number of corrections, in both orders."""
    details = result.details
    table = Table(
        title=f"Learning curve with {Path(result.model).name}: kind F1 on the held-out split, "
        f"mean (std) of {details['draws']} draws"
    )
    for column in ("order", "corrections", "bug_report", "feature_request", "question"):
        table.add_column(column, justify="left" if column == "order" else "right")
    for row in details["rows"]:
        cells = [
            f"{row['f1'][k]:.3f} ({row['std'][k]:.3f})" for k in ("bug_report", "feature_request", "question")
        ]
        table.add_row(row["order"], str(row["corrections"]), *cells)
    return table


@app.command("eval")
def eval_(
    datasets: Annotated[
        Path | None,
        typer.Option(
            "--datasets",
            help="Folder holding banking77/, clap_app_reviews/, tweeteval/ and germeval2018/, and for "
            "the unseen protocol and the learning curve nlbse2024_issues/ and omp_sentiment_de/ "
            "(python -m classifiers.datasets_prepare)",
        ),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the results to this JSON file")
    ] = None,
    models: Annotated[
        list[str] | None,
        typer.Option(
            "--model", help="Model name or local model folder; repeat for several (default: all named)"
        ),
    ] = None,
    tasks: Annotated[
        list[str] | None,
        typer.Option(
            "--task", help="Task name or pattern such as 'clap-*'; repeat for several (default: all)"
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir", help="Embedding cache folder (default: ~/.cache/feedback-router/embeddings)"
        ),
    ] = None,
) -> None:
    """Measure the classifiers on public datasets against published results; prints a table.

    Protocols, chosen with --task:

    - 'unseen-*', the unseen community: the shipped default on labelled sets none of its training \
data comes from (kind F1 on GitHub issues, sentiment EN and DE, abuse EN and DE, calibration as \
1 - ECE with what triage holds back)

    - 'learning-curve': the shipped default adapted to N = 0, 25, 50, 100, 200 corrections \
(classifiers/adapt.py) from NLBSE'24 train, in the order the triage inbox offers them and at \
random; kind F1 on NLBSE'24 test per N, mean of 5 draws, and the bug-report gain at N = 50

    - 'clap-default-*': the shipped kind classifier on app reviews

    - the others: heads trained on each task's own train split (banking77, clap, tweeteval, \
germeval), and clustering ('*clustering*')

    Embeddings are cached on disk by model and text, so a second run takes seconds.

    A missed bar is a finding, not an error: the exit code is 0 whenever the suite ran.
    """
    if datasets is None:
        raise fail("no datasets folder given: pass --datasets DIR")
    if not datasets.is_dir():
        raise fail(f"datasets folder {datasets} does not exist: pass --datasets DIR")
    # Our own bar shows the embedding progress; transformers' "Loading weights" bar would cut through it.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from classifiers.evaluation.cache import EmbeddingCache, EmbedProgress
    from classifiers.evaluation.datasets import DatasetError
    from classifiers.evaluation.suite import Task, run_suite, select_tasks

    started = time.perf_counter()
    try:
        runs = len(select_tasks(tasks)) * (len(set(models or MODELS)) + 1)  # + the project's recipes
    except ValueError as exc:
        raise fail(str(exc)) from exc
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    # Off a terminal (a log, CI) a progress display is only noise.
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        current = progress.add_task("starting", total=runs)
        bars: dict[tuple[str, str], TaskID] = {}

        finished = iter(range(runs + 1))  # runs finished when the next one starts

        def on_task(task: Task, model: str) -> None:
            description = f"{task.name} with {Path(model).name}"
            progress.update(current, description=description, completed=next(finished, runs))

        def on_progress(event: EmbedProgress) -> None:
            key = (event.model, event.label)
            if key not in bars:
                description = f"  embedding {event.label} with {Path(event.model).name}"
                bars[key] = progress.add_task(description, total=event.total)
            progress.update(bars[key], completed=event.done)
            if event.done >= event.total:
                progress.remove_task(bars.pop(key))

        try:
            report = run_suite(
                datasets,
                models=models,
                tasks=tasks,
                cache=EmbeddingCache(cache_dir),
                on_progress=on_progress,
                on_task=on_task,
            )
        except (DatasetError, ModelNotFoundError, ValueError) as exc:
            problem = str(exc)  # said once the progress display is gone, so that it stays one line
        else:
            problem = ""
    if problem:
        raise fail(problem)

    # Off a terminal rich would squeeze the table into 80 columns; it takes only what it needs.
    out = Console() if sys.stdout.isatty() else Console(width=200)
    out.print(_report_table(report))
    for result in report.results:
        if result.task.name == "learning-curve" and result.model != "project":
            gains = result.details["bug_report_gain_at_50"]
            out.print(_curve_table(result))
            out.print(
                f"bug_report F1 gain at N = 50: {gains['triage']:+.3f} in triage order, "
                f"{gains['random']:+.3f} at random"
            )
    out.print(f"wall time {time.perf_counter() - started:.1f} s")
    for name, stats in report.models.items():
        speed = (
            f"embedded {stats.embedded:,} texts at {stats.texts_per_second:,.0f} texts/s "
            f"(model loaded in {stats.load_seconds:.1f} s)"
            if stats.texts_per_second
            else "embedded nothing"
        )
        out.print(f"{Path(name).name}: {speed}; {stats.cached:,} served from the cache", soft_wrap=True)
    if json_file is not None:
        try:
            json_file.write_text(
                json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            raise fail(f"cannot write {json_file}: {exc.strerror}") from exc
        err.print(f"results written to {json_file}", markup=False, highlight=False, soft_wrap=True)


def _train_shipped(folder: Path, out: Path) -> None:
    """Rebuild the packaged heads of the default model from the seed sets and ``folder``."""
    from classifiers.embedding import DEFAULT_MODEL, model_id
    from classifiers.evaluation.cache import EmbeddingCache, EmbedProgress
    from classifiers.training import dataset_examples, train_shipped

    if not folder.is_dir():
        raise fail(
            f"datasets folder {folder} does not exist (python -m classifiers.datasets_prepare writes it)"
        )
    try:
        dataset_examples(folder)  # a missing or broken file is one line before anything is embedded
    except ValueError as exc:
        raise fail(str(exc)) from exc
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    cache = EmbeddingCache()  # the same cache as eval: a rebuild embeds only new texts
    started = time.monotonic()
    columns = [TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        tasks = progress.add_task("heads", total=3)
        embedding = progress.add_task("embedding", total=None)

        def on_progress(event: EmbedProgress) -> None:
            progress.update(
                embedding, description=f"embedding {event.label}", total=event.total, completed=event.done
            )

        def on_task(task: str, count: int) -> None:
            progress.update(tasks, description=f"training {task} ({count:,})", advance=1)

        def embed(texts: list[str]) -> Any:
            return cache.embed(DEFAULT_MODEL, texts, label=f"{len(texts):,} texts", on_progress=on_progress)

        heads = train_shipped(folder, embed, embedding_model=model_id(DEFAULT_MODEL), on_task=on_task)
    data = heads.to_bytes()
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror}") from exc
    examples: dict[str, int] = heads.info["examples"]  # type: ignore[assignment]
    counts = ", ".join(f"{task} {count:,}" for task, count in examples.items())
    seconds = round(time.monotonic() - started, 1)
    typer.echo(
        f"shipped heads {heads.version} written to {out} ({len(data) / 1e6:.1f} MB), "
        f"trained in {seconds} s on {counts}"
    )


@app.command()
def train(
    datasets: Annotated[
        Path | None,
        typer.Option(
            "--datasets",
            help="Rebuild the packaged heads of the default model from the seed sets and this folder "
            "(written by python -m classifiers.datasets_prepare; see classifiers/data/SOURCES.md) "
            "instead of retraining the community's model",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="With --datasets: where to write the heads (default: the package's file)"),
    ] = None,
) -> None:
    """Adapt the shipped heads (with the topic taxonomy's) to managers' corrections.

    Corrections move the model where they say something and keep the rest of what it learnt
    (classifiers/adapt.py). The new model version is stored in the database and made active;
    running workers switch to it at their next batch, without a restart. With --datasets it
    rebuilds the packaged heads instead (no database), deterministically.
    """
    if datasets is not None:
        from classifiers.training import SHIPPED_HEADS

        _train_shipped(datasets, out or SHIPPED_HEADS)
        return
    from classifiers.embedding import DEFAULT_MODEL, resolve_model
    from classifiers.labeler import FeedbackLabeler
    from classifiers.training import merge
    from feedback_router import model_versions
    from feedback_router.feedback.labels import training_examples

    settings = _settings()
    if settings.auto_migrate:
        _migrate(settings)
    model = settings.embedding_model or DEFAULT_MODEL
    try:
        resolve_model(model)
        labeler = FeedbackLabeler(
            model=model, topics_file=str(settings.topics_file) if settings.topics_file else None
        )
        base = labeler.base_examples()
    except (ModelNotFoundError, TaxonomyError, ValueError) as exc:
        raise fail(str(exc)) from exc
    with session_scope(settings.database_url) as session:
        community = training_examples(session=session)
    examples = merge(base, community)  # for the counts below; the labeler merges the same way
    started = time.monotonic()
    columns = [
        TextColumn("training {task.fields[name]:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("heads"),
    ]
    with Progress(*columns, console=err, transient=True) as progress:
        bar = progress.add_task("train", total=len(community), name="")

        def on_task(task: str, count: int) -> None:
            progress.update(bar, advance=1, name=f"{task} ({count})")

        heads = labeler.train(community, on_task=on_task)
    seconds = round(time.monotonic() - started, 1)
    info = {
        "examples": {t: len(p) for t, p in examples.items()},
        "community": {t: len(p) for t, p in community.items()},
        "seconds": seconds,
    }
    with session_scope(settings.database_url) as session:
        row = model_versions.activate_new(
            session=session,
            version=heads.version,
            embedding_model=heads.embedding_model,
            heads=heads.to_bytes(),
            info=info,
        )
    counts = ", ".join(
        f"{task} {len(pairs)} ({len(community.get(task, []))} from corrections)"
        for task, pairs in examples.items()
    )
    typer.echo(f"model version {row.version} (#{row.id}) active, trained in {seconds} s on {counts}")
    typer.echo("running workers switch to it at their next batch")


@app.command()
def digest(
    language: Annotated[str, typer.Option(help="en or de")],
    community: Annotated[str | None, typer.Option(help="The items' metadata community; unset: all")] = None,
    start: Annotated[str | None, typer.Option(help="Period start, ISO 8601 (default: end - 7 days)")] = None,
    end: Annotated[str | None, typer.Option(help="Period end, exclusive (default: today 00:00 UTC)")] = None,
) -> None:
    """Draft a "you said, we did" digest (for cron); DIGEST_AUTO_PUBLISH also publishes it."""
    from pydantic import ValidationError

    from feedback_router.digests import service as digests
    from feedback_router.digests.schemas import DigestCreate

    settings = _settings()
    try:
        digest_in = DigestCreate.model_validate(
            {"language": language, "community": community, "period_start": start, "period_end": end}
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from exc
    if settings.auto_migrate:
        _migrate(settings)
    try:
        with session_scope(settings.database_url) as session:
            row = digests.create(session=session, digest_in=digest_in, settings=settings)
    except DomainError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"digest {row.id} ({row.status}): {row.title}")
    if row.published_url:
        typer.echo(f"published at {row.published_url}")
    elif row.last_error:
        err.print(f"not published: {row.last_error}", markup=False, soft_wrap=True)
        raise typer.Exit(1)  # cron reports it
    else:
        typer.echo(f"review it (GET /v1/digests/{row.id}) and approve it (POST /v1/digests/{row.id}/approve)")


@app.command()
def erase(
    author: Annotated[str, typer.Option(help="The author's handle, as the items hold it (exact)")],
    source: Annotated[
        Source | None, typer.Option(help="Only this source's author (default: the handle on every source)")
    ] = None,
) -> None:
    """Erase what the service holds about an author (their words, name, e-mail and links, everywhere);
    counts stay. Prints what was erased per kind; running it again erases nothing more."""
    from feedback_router.erasure.service import erase_author

    settings = _settings()
    handle = author.strip()
    if not handle or len(handle) > 200 or "\x00" in handle:
        raise fail("--author needs a handle of 1 to 200 characters, without NUL")
    if settings.auto_migrate:
        _migrate(settings)
    with session_scope(settings.database_url) as session:
        erased = erase_author(session=session, handle=handle, source=source.value if source else None)
    where = f"on {source.value}" if source else "on every source"
    if not erased.items and not erased.parts:
        typer.echo(f"nothing held about {handle} {where} (never seen, or erased before)")
        return
    counts = ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in erased.counts().items())
    typer.echo(f"erased {handle} {where}: {counts}")
    if erased.outside:
        typer.echo("delivered outside this service before; erase them there:")
        for delivery in erased.outside:
            typer.echo(f"  {delivery}")


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


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="The name to sign in with")],
    role: Annotated[Role, typer.Option(help="manager (read and act) or admin")] = Role.manager,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create an account for the web app; asks for its password (at least 10 characters)."""
    from feedback_router.auth import users

    if role == Role.forwarder:
        raise fail("web accounts are for managers and admins; forwarders use an API key")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _settings()
    if settings.auto_migrate:
        _migrate(settings)
    try:
        with session_scope(settings.database_url) as session:
            users.create(session=session, username=username, password=password, role=role)
    except DomainError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"user {username} ({role.value}) created; sign in at {settings.link('/login')}")


@user_app.command("list")
def user_list() -> None:
    """List accounts with their role and state."""
    from sqlalchemy import select

    from feedback_router.auth.models import ApiKey, User

    with session_scope(_settings().database_url) as session:
        for user, key in session.execute(select(User, ApiKey).join(ApiKey).order_by(User.id)):
            typer.echo(f"{user.username}\t{key.role}\t{'disabled' if key.revoked_at else 'active'}")


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument(help="The account to disable")]) -> None:
    """Disable an account and end its sessions at once."""
    from feedback_router.auth import users

    try:
        with session_scope(_settings().database_url) as session:
            users.disable(session=session, username=username)
    except DomainError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"user {username} disabled")


@app.callback()
def _logging(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging")] = False) -> None:
    try:
        log_format = get_settings().log_format
    except ValueError:  # an invalid setting: the command reports it in one line
        log_format = "text"
    configure_logging(verbose=verbose, log_format=log_format)


def main() -> None:
    """Console entry point: an unreachable database is one line and exit 2, not a traceback."""
    try:
        app()
    except OperationalError as exc:
        url = make_url(get_settings().database_url).render_as_string(hide_password=True)
        first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        err.print(f"error: cannot reach the database {url}: {first_line}", markup=False, soft_wrap=True)
        sys.exit(2)
