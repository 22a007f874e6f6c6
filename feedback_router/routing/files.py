"""A new routing file from the API: checked as ``feedback-router routes check`` checks a file, then
written in place of the one in force and reloaded.

Applying writes the routing file named by ``FEEDBACK_ROUTER_ROUTING_FILE`` atomically (a temporary
file beside it, renamed over it), so a reader or a crash never sees half a file; the previous file
is kept as ``<file>.bak``. The packaged default is never written: without a routing file of its
own the service refuses to apply one.
"""

import logging
import os
import tempfile
import threading
from pathlib import Path

from feedback_router.config import Settings
from feedback_router.errors import ConfigurationError, Conflict, InvalidInput
from feedback_router.routing import live
from feedback_router.routing.rules import Problem, RoutingConfig, RoutingFileError, parse
from feedback_router.routing.schemas import RoutingApplied, RoutingCheck, RoutingProblem
from feedback_router.tickets.delivery import unconfigured

log = logging.getLogger(__name__)

_applying = threading.Lock()


def _problems(found: list[Problem]) -> list[RoutingProblem]:
    return [RoutingProblem(line=p.line, path=p.path, reason=p.reason) for p in found]


def _shown(problem: Problem) -> str:
    """``line 8: rules.0.team: reason``: a text from the API has no file name yet."""
    where = f"line {problem.line}: " if problem.line is not None else ""
    return where + (f"{problem.path}: " if problem.path else "") + problem.reason


def _parse(text: str) -> tuple[RoutingConfig | None, list[Problem]]:
    try:
        return parse(text), []
    except RoutingFileError as exc:
        return None, exc.found


def check(*, text: str, settings: Settings) -> RoutingCheck:
    """Validate routing YAML; also name the outside tools it sends to that these settings cannot reach."""
    config, found = _parse(text)
    if config is None:
        return RoutingCheck(valid=False, errors=_problems(found))
    count_rules, count_teams = live.counts(config)
    return RoutingCheck(
        valid=True,
        rules=count_rules,
        teams=count_teams,
        missing_settings=unconfigured(routing=config, settings=settings),
    )


def apply(*, text: str, settings: Settings, by: str) -> RoutingApplied:
    """Check ``text``, write it as the routing file (the old one kept as ``.bak``) and reload the rules.

    Raises:
        Conflict: no routing file is configured (the service runs on the packaged default).
        InvalidInput: the text is not a valid routing file, or sends to a tool without settings;
            nothing is written and the rules in force stay.
        ConfigurationError: the file cannot be written.
    """
    path = settings.routing_file
    if path is None:
        raise Conflict(
            "no routing file is configured (this service runs on the packaged default rules, which are "
            "never overwritten): set FEEDBACK_ROUTER_ROUTING_FILE to the path of a file of your own "
            "(a copy of the default will do) and restart the service, then apply rules here"
        )
    config, found = _parse(text)
    if config is None:
        raise InvalidInput(
            "routing file not applied, the rules in force stay: " + "; ".join(map(_shown, found))
        )
    missing = unconfigured(routing=config, settings=settings)
    if missing:
        raise InvalidInput("routing file not applied, the rules in force stay: " + "; ".join(missing))
    with _applying:
        backup = path.with_name(path.name + ".bak")
        try:
            previous = path.read_bytes() if path.exists() else None
            if previous is not None:
                _write_atomically(backup, previous, like=path)
            _write_atomically(path, text.encode("utf-8"), like=path)
        except OSError as exc:
            raise ConfigurationError(f"routing file {path} cannot be written: {exc.strerror or exc}") from exc
        try:
            config = live.rules_for(path).reload()
        except ConfigurationError as exc:  # changed on disk meanwhile by someone else
            raise InvalidInput(f"routing file written but not reloaded: {exc.message}") from exc
    count_rules, count_teams = live.counts(config)
    log.info("routing file %s applied by %s: %d rules, %d teams", path, by, count_rules, count_teams)
    return RoutingApplied(
        rules=count_rules,
        teams=count_teams,
        file=str(path),
        backup=str(backup) if previous is not None else None,
    )


def _write_atomically(path: Path, content: bytes, *, like: Path) -> None:
    """Write ``content`` to a temporary file beside ``path`` and rename it over ``path``; the file
    keeps the permissions of ``like`` where that exists."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if like.exists():
            os.chmod(temporary, like.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
