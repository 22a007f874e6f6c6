"""The measured scenarios. Each returns a JSON-serialisable dict of figures and what they mean."""

import contextlib
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.pool import NullPool

from benchmarks.corpus import generate, write_jsonl
from benchmarks.processes import BenchmarkError, Service, free_port, make_env, run_cli, wait_for
from feedback_router.config import Settings
from feedback_router.feedback.models import Feedback, FeedbackStatus, JobStatus, ProcessingJob

ROOT = Path(__file__).resolve().parent.parent

STARTUP_TIMEOUT = 300.0
SERVE_READY = "Application startup complete."  # uvicorn, after the lifespan started the in-process worker
WORKER_READY = " ready."  # Celery's "celery@host ready."; the worker then sweeps the outbox


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats
    return ordered[int(rank) - 1]


def summarize_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(max(ms), 2),
    }


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    """A connection-per-query engine for polling, so that the benchmark holds no connection between polls."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def job_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(select(ProcessingJob.status, func.count()).group_by(ProcessingJob.status))
        return {status: count for status, count in rows}


def processed_window(engine: Engine) -> tuple[datetime | None, datetime | None, int, int]:
    """First and last processed_at, the number processed and the number failed."""
    with engine.connect() as connection:
        first, last, processed = connection.execute(
            select(func.min(Feedback.processed_at), func.max(Feedback.processed_at), func.count()).where(
                Feedback.status == FeedbackStatus.processed
            )
        ).one()
        failed = connection.scalar(
            select(func.count()).select_from(Feedback).where(Feedback.status == FeedbackStatus.failed)
        )
    return first, last, processed, failed or 0


def _admin_key(env: dict[str, str], role: str) -> str:
    done = run_cli(["apikey", "create", "--role", role, "--name", "benchmark"], env=env)
    return done.stdout.strip().splitlines()[-1].strip()


# --- a. capture latency ---------------------------------------------------------------------


def capture_latency(*, workdir: Path, requests: int, warmup: int) -> dict[str, Any]:
    """POST /v1/feedback latency from an httpx client against one `feedback-router serve` process."""
    database_url = f"sqlite:///{workdir / 'latency.db'}"
    port = free_port()
    env = make_env({"database_url": database_url, "port": str(port)}, workdir)
    key = _admin_key(env, "forwarder")  # also creates the schema (auto_migrate)
    texts = [r["text"] for r in generate(warmup + requests, seed=7, prefix="latency")]
    progress(f"starting feedback-router serve on 127.0.0.1:{port} (SQLite, in-process worker)")
    with Service(["serve", "--port", str(port)], env=env, log_path=workdir / "serve-latency.log") as service:

        def healthy() -> bool | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200 or None
            except httpx.HTTPError:
                return None

        wait_for(healthy, timeout=STARTUP_TIMEOUT, what="GET /healthz to answer 200", service=service)
        headers = {"Authorization": f"Bearer {key}"}
        timings: list[float] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
            progress(f"{warmup} warm-up requests, then {requests} measured, one at a time")
            for index, body in enumerate(texts):
                started = time.perf_counter()
                response = client.post("/v1/feedback", json={"text": body, "source": "api"})
                elapsed = time.perf_counter() - started
                if response.status_code != 202:
                    raise BenchmarkError(
                        f"POST /v1/feedback answered {response.status_code}: {response.text[:300]}"
                    )
                if index >= warmup:
                    timings.append(elapsed)
        with engine_for(database_url) as engine:
            counts = job_counts(engine)
    return {
        "what": (
            f"POST /v1/feedback latency, {requests} sequential requests after {warmup} warm-up, "
            "httpx client with keep-alive, one `feedback-router serve` process (uvicorn, SQLite, "
            "in-process worker embedding the new items at the same time)"
        ),
        "requests": requests,
        "warmup": warmup,
        **summarize_ms(timings),
        "requests_per_s_sequential": round(len(timings) / sum(timings), 1),
        "jobs_done_when_measurement_ended": counts.get(JobStatus.done, 0),
        "jobs_total": sum(counts.values()),
    }


# --- b. and c. throughput -------------------------------------------------------------------


def _import(env: dict[str, str], workdir: Path, items: int, prefix: str) -> dict[str, Any]:
    path = write_jsonl(workdir / f"{prefix}.jsonl", generate(items, seed=42, prefix=prefix))
    progress(f"feedback-router import {path.name} ({items} items)")
    started = time.perf_counter()
    done = run_cli(["import", str(path)], env=env)
    seconds = time.perf_counter() - started
    expected = f"imported {items}, duplicates 0, rejected 0"
    if expected not in done.stdout:
        raise BenchmarkError(f"import did not report '{expected}': {done.stdout.strip()}")
    return {"import_s": round(seconds, 2), "import_items_per_s": round(items / seconds, 1)}


def _time_processing(
    *, start: Callable[[], Service], ready_marker: str, database_url: str, items: int, timeout: float
) -> dict[str, Any]:
    """Start the process that works the queue and time it until every job is done or failed for good."""
    with engine_for(database_url) as engine:
        started = time.time()
        with start() as service:
            ready = service.wait_for_line(ready_marker, timeout=STARTUP_TIMEOUT)
            progress(f"ready after {ready - started:.1f} s; waiting until {items} items are processed")

            def finished() -> float | None:
                counts = job_counts(engine)
                settled = counts.get(JobStatus.done, 0) + counts.get(JobStatus.failed, 0)
                return time.time() if settled >= items else None

            seen = wait_for(
                finished, timeout=timeout, what=f"{items} processed items", interval=0.25, service=service
            )
        first, last, processed, failed = processed_window(engine)
    # processed_at is stamped by the worker as each item commits: the precise end of the run.
    end = last.timestamp() if last is not None else seen
    total = end - started
    processing = end - ready
    return {
        "items": items,
        "processed": processed,
        "failed": failed,
        "startup_s": round(ready - started, 2),
        "processing_s": round(processing, 2),
        "total_s": round(total, 2),
        "items_per_s_total": round(items / total, 1),
        "items_per_s_processing": round(items / processing, 1),
        "first_item_after_ready_s": round(first.timestamp() - ready, 2) if first is not None else None,
    }


def embedded_throughput(
    *, workdir: Path, items: int, timeout: float, database_url: str | None = None
) -> dict[str, Any]:
    """Import ``items``, then start `feedback-router serve` and time until all are processed."""
    database_url = database_url or f"sqlite:///{workdir / 'embedded.db'}"
    port = free_port()
    env = make_env({"database_url": database_url, "port": str(port)}, workdir)
    figures = _import(env, workdir, items, prefix="embedded")
    progress(f"starting feedback-router serve (in-process worker, batch size 64) on port {port}")
    figures |= _time_processing(
        start=lambda: Service(
            ["serve", "--port", str(port)], env=env, log_path=workdir / "serve-embedded.log"
        ),
        ready_marker=SERVE_READY,
        database_url=database_url,
        items=items,
        timeout=timeout,
    )
    return figures


@contextmanager
def temporary_postgres(admin_url: str) -> Iterator[str]:
    """A fresh database fr_bench_<random> on the server of ``admin_url``, dropped afterwards."""
    name = f"fr_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.rsplit("/", 1)[0] + "/" + name
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def flushed_redis(url: str) -> Iterator[str]:
    """The Redis database of ``url``, flushed before and after."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
        yield url
    finally:
        try:
            client.flushdb()
        finally:
            client.close()


def celery_throughput(
    *, workdir: Path, items: int, timeout: float, postgres_admin_url: str, redis_url: str
) -> dict[str, Any]:
    """Import ``items`` into PostgreSQL, start one `feedback-router worker`, time until all are processed."""
    with temporary_postgres(postgres_admin_url) as database_url, flushed_redis(redis_url):
        env = make_env({"database_url": database_url, "redis_url": redis_url}, workdir)
        figures = _import(env, workdir, items, prefix="celery")
        progress("starting feedback-router worker (one process, solo pool, with beat)")
        figures |= _time_processing(
            start=lambda: Service(["worker"], env=env, log_path=workdir / "worker-celery.log"),
            ready_marker=WORKER_READY,
            database_url=database_url,
            items=items,
            timeout=timeout,
        )
    return figures


def embedded_postgres_throughput(
    *, workdir: Path, items: int, timeout: float, postgres_admin_url: str
) -> dict[str, Any]:
    """As embedded_throughput, on a temporary PostgreSQL database instead of SQLite."""
    with temporary_postgres(postgres_admin_url) as database_url:
        return embedded_throughput(workdir=workdir, items=items, timeout=timeout, database_url=database_url)


# --- the model alone --------------------------------------------------------------------------


def model_only(*, workdir: Path, items: int) -> dict[str, Any]:
    """The classifier on the same texts in one process, no database or queue: the processing ceiling."""
    batch_size = Settings.model_fields["batch_size"].default
    path = write_jsonl(workdir / "model.jsonl", generate(items, seed=42, prefix="model"))
    progress(f"classifying {items} texts in batches of {batch_size} with the packaged model, in one process")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.model_only", str(path), str(batch_size)],
        cwd=ROOT, env=make_env({}, workdir), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchmarkError(f"benchmarks.model_only exited {done.returncode}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- e. open-loop load on capture while the worker processes ------------------------------------


def _stop_and_time(service: Service, timeout: float = 30) -> float | None:
    """SIGTERM ``service``; seconds until it exited, or None when it had to be killed after ``timeout``."""
    import os
    import signal

    started = time.perf_counter()
    os.killpg(service.process.pid, signal.SIGTERM)
    try:
        service.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        service.stop(timeout=0)
        return None
    return round(time.perf_counter() - started, 2)


def _cpu_seconds(service: Service) -> float:
    """User and system CPU seconds of the service's process and its children so far."""
    import psutil

    root = psutil.Process(service.process.pid)
    total = 0.0
    for process in (root, *root.children(recursive=True)):
        with contextlib.suppress(psutil.Error):  # a child that ended meanwhile
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _serve_until_healthy(env: dict[str, str], port: int, log_path: Path) -> tuple[Service, float]:
    started = time.perf_counter()
    service = Service(["serve", "--port", str(port)], env=env, log_path=log_path)

    def healthy() -> bool | None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200 or None
        except httpx.HTTPError:
            return None

    try:
        wait_for(healthy, timeout=STARTUP_TIMEOUT, what="GET /healthz to answer 200", service=service)
    except BaseException:
        service.stop()
        raise
    return service, round(time.perf_counter() - started, 1)


def _processing_counts(engine: Engine, ids: list[int]) -> tuple[int, int]:
    """How many of ``ids`` are processed, and how many failed for good."""
    processed = failed = 0
    with engine.connect() as connection:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            rows = connection.execute(
                select(Feedback.status, func.count()).where(Feedback.id.in_(chunk)).group_by(Feedback.status)
            )
            for status, count in rows:
                processed += count if status == FeedbackStatus.processed else 0
                failed += count if status == FeedbackStatus.failed else 0
    return processed, failed


def _retry_unanswered(engine: Engine, port: int, requests: list[bytes], accepted: list[int]) -> int:
    """Send each stored item that got no 2xx again, with its idempotency key, as its client would;
    returns how many answered 200 with the stored id (all of them, or the service broke its promise)."""
    import socket

    from benchmarks.load import _read_answer_sync

    with engine.connect() as connection:
        rows = connection.execute(
            select(Feedback.id, Feedback.idempotency_key).where(
                Feedback.parent_id.is_(None), Feedback.id.not_in(accepted)
            )
        ).all()
    same = 0
    for feedback_id, key in rows:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(requests[int(key.removeprefix("load-"))])
            status, body = _read_answer_sync(sock)
        same += status == 200 and json.loads(body)["id"] == feedback_id
    return same


def load(
    *,
    workdir: Path,
    rate: float,
    duration: float,
    process_timeout: float,
    database_url: str | None = None,
    request_timeout: float = 10.0,
) -> dict[str, Any]:
    """``rate`` POST /v1/feedback per second for ``duration`` seconds, open loop, against
    `feedback-router serve` (its in-process worker processing meanwhile); then SIGTERM while the worker
    is busy, a restart, and a wait until every accepted item is processed."""
    import asyncio

    from benchmarks.load import open_loop, post_request, summarize

    database_url = database_url or f"sqlite:///{workdir / 'load.db'}"
    port = free_port()
    env = make_env({"database_url": database_url, "port": str(port)}, workdir)
    key = _admin_key(env, "forwarder")
    count = int(rate * duration)
    headers = {"Authorization": f"Bearer {key}"}
    requests = [
        post_request(
            "127.0.0.1", port, "/v1/feedback", {**headers, "Idempotency-Key": f"load-{i}"},
            item,
        )
        for i, item in enumerate(generate(count, seed=11, prefix="load"))
    ]  # fmt: skip
    service, startup_s = _serve_until_healthy(env, port, workdir / "serve-load.log")
    try:
        progress(f"{count} POST /v1/feedback at {rate:.0f}/s for {duration:.0f} s, open loop")
        cpu_before = _cpu_seconds(service)
        answers, sending_s = asyncio.run(
            open_loop(host="127.0.0.1", port=port, requests=requests, rate=rate, timeout=request_timeout)
        )
        server_cpu_s = _cpu_seconds(service) - cpu_before
        with engine_for(database_url) as engine:
            accepted = sorted(json.loads(a.body)["id"] for a in answers if a.status == 202)
            processed_during, _ = _processing_counts(engine, accepted)
            progress(f"SIGTERM while the worker is busy ({processed_during} of {len(accepted)} processed)")
            stop_busy_s = _stop_and_time(service)
    finally:
        service.stop()
    with engine_for(database_url) as engine:
        with engine.connect() as connection:
            stored = connection.scalar(
                select(func.count()).select_from(Feedback).where(Feedback.parent_id.is_(None))
            )
        progress("restarted; waiting until every accepted item is processed")
        service, restart_s = _serve_until_healthy(env, port, workdir / "serve-load-2.log")
        try:
            restarted = time.perf_counter()

            def all_processed() -> float | None:
                processed, failed = _processing_counts(engine, accepted)
                return time.perf_counter() if processed + failed >= len(accepted) else None

            try:
                done_at: float | None = wait_for(
                    all_processed, timeout=process_timeout, what="every accepted item processed", interval=2
                )
            except BenchmarkError:
                done_at = None
            processed, failed = _processing_counts(engine, accepted)
            retried = _retry_unanswered(engine, port, requests, accepted)
            stop_idle_s = _stop_and_time(service)
        finally:
            service.stop()
    return {
        "what": (
            f"open-loop POST /v1/feedback at {rate:.0f}/s for {duration:.0f} s from a separate process "
            "(HTTP/1.1 keep-alive, latency from each request's scheduled send) against one "
            "`feedback-router serve` with its in-process worker processing at the same time"
        ),
        "database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
        "rate_asked": rate,
        "rate_sent": round(count / sending_s, 1),
        **summarize(answers),
        "startup_s": startup_s,
        # CPU of serve and its worker process while under load, per request sent: what a request costs,
        # which a busy shared machine changes far less than latency or throughput
        "server_cpu_s": round(server_cpu_s, 1),
        "server_cpu_ms_per_request": round(server_cpu_s * 1000 / count, 2),
        "processed_by_end_of_load": processed_during,
        "stored_items": stored,
        "stored_without_2xx": stored - len(accepted),
        "stored_without_2xx_retry_same_id": retried,
        "stop_s_worker_busy": stop_busy_s,
        "restart_s": restart_s,
        "processed": processed,
        "failed": failed,
        "all_processed_s_after_restart": round(done_at - restarted, 1) if done_at is not None else None,
        "stop_s_idle": stop_idle_s,
    }


def load_postgres(*, workdir: Path, postgres_admin_url: str, **kwargs: Any) -> dict[str, Any]:
    """As load, on a temporary PostgreSQL database."""
    with temporary_postgres(postgres_admin_url) as database_url:
        return load(workdir=workdir, database_url=database_url, **kwargs)


# --- f. storing captures --------------------------------------------------------------------


def capture_storage(*, workdir: Path, postgres_admin_url: str, captures: int = 3000) -> dict[str, Any]:
    """CPU per stored capture in this process, 32 at a time: each in its own transaction (as before
    group commit, from 32 threads) against feedback.capture's group commit. CPU time, not wall time:
    a busy shared machine changes it little."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from feedback_router.db import session_scope
    from feedback_router.feedback import service
    from feedback_router.feedback.capture import GroupWriter
    from feedback_router.feedback.schemas import FeedbackCreate
    from feedback_router.migrate import upgrade

    def one_each(url: str) -> None:
        def store(n: int) -> None:
            with session_scope(url) as session:
                service.create(session=session, feedback_in=FeedbackCreate(text=f"one each {n}"))

        with ThreadPoolExecutor(32) as pool:
            list(pool.map(store, range(captures)))

    def grouped(url: str) -> None:
        writer = GroupWriter(url)

        async def store_all() -> None:
            at_once = asyncio.Semaphore(32)

            async def store(n: int) -> None:
                async with at_once:
                    await writer.store(service.Capture(FeedbackCreate(text=f"grouped {n}")))

            await asyncio.gather(*(store(n) for n in range(captures)))

        asyncio.run(store_all())
        writer.stop()

    def measure(url: str) -> dict[str, float]:
        upgrade(url)
        found = {}
        for name, run in (("one_transaction_each", one_each), ("group_commit", grouped)):
            cpu, wall = time.process_time(), time.perf_counter()
            run(url)
            found[f"{name}_cpu_ms"] = round((time.process_time() - cpu) * 1000 / captures, 3)
            found[f"{name}_per_s"] = round(captures / (time.perf_counter() - wall))
        found["cpu_ratio"] = round(found["one_transaction_each_cpu_ms"] / found["group_commit_cpu_ms"], 1)
        return found

    progress(f"{captures} captures stored each way, SQLite then PostgreSQL")
    sqlite = measure(f"sqlite:///{workdir / 'storage.db'}")
    with temporary_postgres(postgres_admin_url) as database_url:
        postgres = measure(database_url)
    return {"what": f"{captures} captures stored, 32 at a time", "sqlite": sqlite, "postgresql": postgres}
