"""python -m benchmarks: run the scenarios, print the figures, write them to bench-results/."""

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import httpx
import redis
from sqlalchemy.exc import SQLAlchemyError

from benchmarks import scenarios
from benchmarks.processes import BenchmarkError

# What a scenario that cannot be measured raises; the other scenarios still run.
SCENARIO_ERRORS = (
    BenchmarkError,
    OSError,
    subprocess.SubprocessError,
    SQLAlchemyError,
    redis.RedisError,
    httpx.HTTPError,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = (
    "latency",
    "model",
    "embedded",
    "embedded-postgres",
    "celery",
    "load",
    "load-postgres",
    "storage",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--only", action="append", choices=SCENARIOS, help="run only this scenario (repeatable); default: all"
    )
    parser.add_argument("--requests", type=int, default=500, help="measured POST requests (default 500)")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up POST requests (default 50)")
    parser.add_argument(
        "--items", type=int, default=1000, help="items imported per throughput run (default 1000)"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed for one processing run")
    parser.add_argument(
        "--rate", type=float, default=500, help="load: POST requests per second (default 500)"
    )
    parser.add_argument("--duration", type=float, default=60, help="load: seconds of load (default 60)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FR_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="an existing database on the server; a temporary one is created beside it and dropped",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("FR_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="a Redis database the benchmark may flush (default db 14)",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench-results", help="folder for the JSON results"
    )
    return parser.parse_args(argv)


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # read only: not even an index refresh
        )  # fmt: skip
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def machine() -> dict[str, Any]:
    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("diff", "--name-only", "HEAD")
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": installed("torch"),
        "sentence_transformers": installed("sentence-transformers"),
        "commit": commit,
        "uncommitted_changes": bool(dirty),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def busy_cpu_seconds() -> float | None:
    """CPU time the whole machine has spent busy since boot (Linux), or None elsewhere."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU time of this process and of the subprocesses it has waited for."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Throughput of one setup relative to another (above 1: the first is faster)."""
    pairs = {
        "celery_vs_embedded": ("celery", "embedded"),
        "celery_vs_embedded_postgres": ("celery", "embedded-postgres"),
        "embedded_postgres_vs_embedded_sqlite": ("embedded-postgres", "embedded"),
    }
    found: dict[str, Any] = {}
    model, embedded = results.get("model", {}), results.get("embedded", {})
    if "items_per_s" in model and "items_per_s_processing" in embedded:
        # How much of the model's own speed survives storage, routing and tickets.
        found["embedded_vs_model_only"] = {
            "processing": ratio(embedded["items_per_s_processing"], model["items_per_s"])
        }
    for name, (a, b) in pairs.items():
        if (
            isinstance(results.get(a), dict)
            and isinstance(results.get(b), dict)
            and "error" not in results[a] | results[b]
        ):
            found[name] = {
                "processing": ratio(
                    results[a]["items_per_s_processing"], results[b]["items_per_s_processing"]
                ),
                "total": ratio(results[a]["items_per_s_total"], results[b]["items_per_s_total"]),
            }
    return found


def report_throughput(title: str, figures: dict[str, Any]) -> list[str]:
    return [
        title,
        f"    import:      {figures['import_s']:.1f} s for {figures['items']} lines with `feedback-router "
        f"import` ({figures['import_items_per_s']:.0f} items/s, including the command's start)",
        f"    startup:     {figures['startup_s']:.1f} s from process start to ready "
        "(imports, model load, classifier warm-up)",
        f"    processing:  {figures['processing_s']:.1f} s from ready to the last item processed "
        f"= {figures['items_per_s_processing']:.1f} items/s (excluding model load)",
        f"    end to end:  {figures['total_s']:.1f} s from process start to the last item processed "
        f"= {figures['items_per_s_total']:.1f} items/s",
        f"    outcome:     {figures['processed']} processed, {figures['failed']} failed",
    ]


def report_load(figures: dict[str, Any]) -> list[str]:
    def seconds(value: float | None) -> str:
        return f"{value} s" if value is not None else "did not stop within 30 s (killed)"

    processed_s = figures["all_processed_s_after_restart"]
    return [
        f"[e] {figures['database']}: {figures['what']}",
        f"    sent {figures['sent']} at {figures['rate_sent']}/s (asked {figures['rate_asked']:.0f}/s); "
        f"answered {figures['answered']}: 2xx {figures['2xx']}, 503 {figures['503']} "
        f"({figures['503_with_retry_after']} with Retry-After), other 5xx {figures['5xx_other']}, "
        f"4xx {figures['4xx']}, timeouts {figures['timeouts']}, "
        f"connection errors {figures['connection_errors']}",
        f"    latency p50 {figures['p50_ms']} ms   p99 {figures['p99_ms']} ms   max {figures['max_ms']} ms",
        f"    server CPU under load: {figures['server_cpu_s']} s = {figures['server_cpu_ms_per_request']} ms "
        "per request sent (serve and its worker process)",
        f"    processed while under load: {figures['processed_by_end_of_load']} of {figures['2xx']}; "
        f"stored without a 2xx: {figures['stored_without_2xx']} (sent again with the same "
        f"Idempotency-Key: {figures['stored_without_2xx_retry_same_id']} answered 200 with the stored id)",
        f"    SIGTERM with the worker busy: stopped in {seconds(figures['stop_s_worker_busy'])}; "
        f"idle: {seconds(figures['stop_s_idle'])}",
        f"    after a restart ({figures['restart_s']} s to healthy): {figures['processed']} processed, "
        f"{figures['failed']} failed of {figures['2xx']} accepted, "
        + (f"all within {processed_s} s" if processed_s is not None else "NOT all within the timeout"),
    ]


def report(results: dict[str, Any]) -> str:
    info = results["machine"]
    lines = [
        "",
        f"feedback-router benchmarks — {info['cpus']} CPUs, Python {info['python']}, torch {info['torch']}, "
        f"commit {info['commit']}{' + uncommitted changes' if info['uncommitted_changes'] else ''}, "
        f"load average at start {info['load_average_at_start'][0]}",
        "",
    ]
    for name, figures in results["scenarios"].items():
        if "error" in figures:
            lines += [f"[{name}] FAILED: {figures['error'].splitlines()[0]}", ""]
            continue
        others = figures.get("other_processes_cpu_s")
        if others is not None and others > 0.05 * figures["cpu_s_available"]:
            lines.append(
                f"({name}: other processes used {others:.0f} of {figures['cpu_s_available']:.0f} CPU-seconds "
                "meanwhile; these figures are pessimistic)"
            )
        if name == "latency":
            lines += [
                f"[a] {figures['what']}",
                f"    median {figures['median_ms']:.1f} ms   p95 {figures['p95_ms']:.1f} ms   "
                f"p99 {figures['p99_ms']:.1f} ms   mean {figures['mean_ms']:.1f} ms   "
                f"max {figures['max_ms']:.1f} ms",
                f"    ({figures['requests_per_s_sequential']:.0f} requests/s one at a time; "
                f"{figures['jobs_done_when_measurement_ended']} of {figures['jobs_total']} items "
                "already processed when the last request returned)",
                "",
            ]
        elif name == "model":
            lines += [
                f"[model] The classifier alone: {figures['items']} texts in batches of "
                f"{figures['batch_size']}, one process, no database or queue",
                f"    {figures['classify_s']:.1f} s = {figures['items_per_s']:.1f} items/s after a "
                f"{figures['load_s']:.1f} s load (imports, model, classifier warm-up)",
                f"    embedding alone {figures['embed_items_per_s']:.1f} items/s; the label heads add "
                f"{figures['heads_share_of_embedding']:.1%} of the embedding time (target under 10%)",
                "",
            ]
        elif name == "embedded":
            lines += report_throughput(
                "[b] Embedded default: 1 `feedback-router serve` process, SQLite, in-process worker", figures
            ) + [""]
        elif name == "embedded-postgres":
            lines += report_throughput(
                "[b'] Embedded worker on PostgreSQL (to separate the storage from the queue in the ratios)",
                figures,
            ) + [""]
        elif name == "celery":
            lines += report_throughput(
                "[c] One Celery worker: 1 `feedback-router worker` process (solo pool), Redis, PostgreSQL",
                figures,
            ) + [""]
        elif name in ("load", "load-postgres"):
            lines += report_load(figures) + [""]
        elif name == "storage":
            lines.append(f"[f] Storing captures in the API process: {figures['what']}, CPU per capture")
            for database in ("sqlite", "postgresql"):
                found = figures[database]
                lines.append(
                    f"    {database}: one transaction each {found['one_transaction_each_cpu_ms']} ms "
                    f"({found['one_transaction_each_per_s']}/s), "
                    f"group commit {found['group_commit_cpu_ms']} ms ({found['group_commit_per_s']}/s): "
                    f"{found['cpu_ratio']}x less CPU"
                )
            lines.append("")
    if results["ratios"]:
        lines.append("[d] Throughput ratios (above 1: the first is faster), processing only / end to end")
        for name, pair in results["ratios"].items():
            total = f" / {pair['total']}" if "total" in pair else " (processing only)"
            lines.append(f"    {name.replace('_', ' ')}: {pair['processing']}{total}")
        lines.append("")
    return "\n".join(lines)


def _stop(signum: int, _frame: object) -> None:
    # Unwind like Ctrl-C does, so that every scenario stops its processes and drops its database.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    chosen = args.only or list(SCENARIOS)
    runs: dict[str, Callable[[Path], dict[str, Any]]] = {
        "latency": lambda d: scenarios.capture_latency(workdir=d, requests=args.requests, warmup=args.warmup),
        "model": lambda d: scenarios.model_only(workdir=d, items=args.items),
        "embedded": lambda d: scenarios.embedded_throughput(
            workdir=d, items=args.items, timeout=args.timeout
        ),
        "embedded-postgres": lambda d: scenarios.embedded_postgres_throughput(
            workdir=d, items=args.items, timeout=args.timeout, postgres_admin_url=args.postgres_url
        ),
        "celery": lambda d: scenarios.celery_throughput(
            workdir=d,
            items=args.items,
            timeout=args.timeout,
            postgres_admin_url=args.postgres_url,
            redis_url=args.redis_url,
        ),  # fmt: skip
        "load": lambda d: scenarios.load(
            workdir=d, rate=args.rate, duration=args.duration, process_timeout=args.timeout
        ),
        "storage": lambda d: scenarios.capture_storage(workdir=d, postgres_admin_url=args.postgres_url),
        "load-postgres": lambda d: scenarios.load_postgres(
            workdir=d,
            rate=args.rate,
            duration=args.duration,
            process_timeout=args.timeout,
            postgres_admin_url=args.postgres_url,
        ),  # fmt: skip
    }
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "scenarios": {},
    }
    failed = False
    for name in SCENARIOS:
        if name not in chosen:
            continue
        print(f"[{name}]", file=sys.stderr, flush=True)
        started = time.perf_counter()
        busy_before, own_before = busy_cpu_seconds(), own_cpu_seconds()
        with tempfile.TemporaryDirectory(prefix=f"fr-bench-{name}-") as tmp:
            try:
                figures = runs[name](Path(tmp))
            except SCENARIO_ERRORS as exc:
                failed = True
                figures = {"error": str(exc)}
                print(f"  {name} failed: {exc}", file=sys.stderr, flush=True)
        wall = time.perf_counter() - started
        figures["scenario_wall_s"] = round(wall, 1)
        busy_after = busy_cpu_seconds()
        if busy_before is not None and busy_after is not None:
            # Anything else running on the machine meanwhile competed for the same cores.
            others = busy_after - busy_before - (own_cpu_seconds() - own_before)
            figures["other_processes_cpu_s"] = round(max(others, 0.0), 1)
            figures["cpu_s_available"] = round(wall * (os.cpu_count() or 1), 1)
        results["scenarios"][name] = figures
    results["ratios"] = ratios(results["scenarios"])

    print(report(results))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
