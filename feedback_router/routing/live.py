"""The routing rules in force in this process, reloaded without a restart.

The API, the in-process worker and a Celery worker all read the rules through ``current()``.
``reload()`` (``POST /v1/admin/reload``, or SIGHUP to ``serve`` or ``worker``) re-reads the
file and swaps the rules in one step; a file with errors is refused and the rules in force stay.
"""

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from feedback_router.errors import ConfigurationError
from feedback_router.routing.rules import DEFAULT_FILE, RoutingConfig, load

log = logging.getLogger(__name__)


class LiveRules:
    """One routing file's rules; ``config`` always answers the last version that was valid."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._config = load(path)
        self._lock = threading.Lock()

    @property
    def config(self) -> RoutingConfig:
        return self._config

    def reload(self) -> RoutingConfig:
        """Re-read the file; raises ConfigurationError (and keeps the old rules) when it is invalid."""
        with self._lock:
            config = load(self.path)
            self._config = config
        log.info("routing rules reloaded from %s: %d rules, %d teams", self.path, *counts(config))
        for reloaded in _also_reload:
            reloaded()
        return config


# Called after each successful reload: e.g. `serve` passes it on to its worker process (app.WorkerProcess).
_also_reload: list[Callable[[], None]] = []


def also_on_reload(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after every successful reload in this process; returns what undoes that."""
    _also_reload.append(callback)
    return lambda: _also_reload.remove(callback)


_files: dict[Path, LiveRules] = {}
_files_lock = threading.Lock()


def rules_for(path: Path | None) -> LiveRules:
    """The live rules of a routing file (None: the packaged default), loaded on first use."""
    path = path or DEFAULT_FILE
    with _files_lock:
        if path not in _files:
            _files[path] = LiveRules(path)
        return _files[path]


def current(path: Path | None) -> RoutingConfig:
    return rules_for(path).config


def counts(config: RoutingConfig) -> tuple[int, int]:
    """(rules, teams) of a routing configuration."""
    return len(config.rules), len(config.teams)


def reload_logged(path: Path | None) -> None:
    """Reload a routing file, logging the outcome; a broken file keeps the rules in force."""
    try:
        rules_for(path).reload()
    except ConfigurationError as exc:
        log.error("routing file not reloaded, the rules in force stay: %s", exc.message)


def reload_on_sighup(path: Path | None) -> Any:
    """Make SIGHUP reload the routing file at ``path`` (None: the packaged default).

    Call from the main thread; returns the previous handler. The reload runs in a thread of its
    own, so that it never runs inside whatever the signal interrupted (a log call holding its
    lock, say).
    """

    def handle(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=reload_logged, args=(path,), name="routing-reload", daemon=True).start()

    return signal.signal(signal.SIGHUP, handle)
