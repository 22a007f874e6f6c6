"""Running the real ``feedback-router`` command in subprocesses, and cleaning them up."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TypeVar

T = TypeVar("T")

# What the Makefile and the Dockerfile set for every run: no telemetry, no model download.
BASE_ENV = {
    "HAYSTACK_TELEMETRY_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "PYTHONUNBUFFERED": "1",
}


class BenchmarkError(RuntimeError):
    """A scenario could not be measured (a command failed, or a wait ran out)."""


def command() -> list[str]:
    """The installed console script, beside this interpreter (the virtual environment's bin)."""
    beside = Path(sys.executable).with_name("feedback-router")
    found = str(beside) if beside.is_file() else shutil.which("feedback-router")
    if not found:
        raise BenchmarkError("the feedback-router command is not installed: run 'make install' first")
    return [found]


def make_env(settings: Mapping[str, str], tmp: Path) -> dict[str, str]:
    """This process's environment without FEEDBACK_ROUTER_* variables, plus the scenario's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_ROUTER_")}
    env.update(BASE_ENV)
    env["TMPDIR"] = str(tmp)  # e.g. Celery beat's schedule file lands in the scenario's directory
    env.update({f"FEEDBACK_ROUTER_{k.upper()}": v for k, v in settings.items()})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(
    args: list[str], *, env: Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run one command to its end; a non-zero exit is an error that shows its output."""
    done = subprocess.run(
        command() + args, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        output = done.stdout[-2000:] + done.stderr[-2000:]
        raise BenchmarkError(f"feedback-router {' '.join(args)} exited {done.returncode}:\n{output}")
    return done


class Service:
    """A long-running ``feedback-router`` subprocess (serve or worker) with its log.

    Output lines are copied to ``log_path`` and stamped as they arrive, so a scenario can tell
    when the process printed a line (e.g. "Application startup complete.").
    """

    def __init__(self, args: list[str], *, env: Mapping[str, str], log_path: Path) -> None:
        self.args = args
        self.log_path = log_path
        self.started_at = time.time()
        self._lines: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            command() + args,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group, so that stop() reaches any child
        )
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        with self.log_path.open("w", encoding="utf-8") as log:
            for line in stream:
                stamp = time.time()
                with self._lock:
                    self._lines.append((stamp, line))
                log.write(line)
                log.flush()

    def first_line_time(self, marker: str) -> float | None:
        """When the first output line containing ``marker`` arrived (epoch seconds), or None."""
        with self._lock:
            return next((stamp for stamp, line in self._lines if marker in line), None)

    def tail(self, lines: int = 40) -> str:
        with self._lock:
            return "".join(line for _, line in self._lines[-lines:])

    def check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            self._reader.join(timeout=5)
            raise BenchmarkError(f"feedback-router {' '.join(self.args)} exited {code}:\n{self.tail()}")

    def wait_for_line(self, marker: str, timeout: float) -> float:
        """Wait until the process prints a line containing ``marker``; returns when it did."""
        return wait_for(
            lambda: self.first_line_time(marker), timeout=timeout, what=f"'{marker}'", service=self
        )

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the process group, SIGKILL after ``timeout`` seconds."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._reader.join(timeout=5)

    def __enter__(self) -> "Service":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def wait_for(
    check: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    service: Service | None = None,
) -> T:
    """Call ``check`` until it returns something other than None; fail if a service dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if service is not None:
            service.check_alive()
        if time.monotonic() > deadline:
            tail = f"\nlast output:\n{service.tail()}" if service is not None else ""
            raise BenchmarkError(f"gave up waiting {timeout:.0f} s for {what}{tail}")
        time.sleep(interval)
