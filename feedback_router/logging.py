"""Log set-up for the command line: our messages at INFO, libraries' at WARNING; text or JSON lines.

The context a call passes with ``extra={"feedback_id": 42}`` shows in both formats: after a text
line's message as ``feedback_id=42``, as a field of a JSON line (``FEEDBACK_ROUTER_LOG_FORMAT=json``).
"""

import logging
import os
from typing import Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every record has, and uvicorn's coloured copy of its message: anything else came with extra=.
NOT_CONTEXT = frozenset([*RESERVED_ATTRS, "message", "color_message"])


def context(record: logging.LogRecord) -> dict[str, object]:
    """What the call passed with ``extra=``."""
    return {key: value for key, value in vars(record).items() if key not in NOT_CONTEXT}


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT with the context after the message, on its line (a traceback follows it)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{key}={value}" for key, value in context(record).items())
        if not fields:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} {fields}{newline}{rest}"


def formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        # {"time": ..., "level": "WARNING", "logger": ..., "message": ..., "feedback_id": 42}
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=sorted(NOT_CONTEXT - {"message"}),
        )
    return TextFormatter(TEXT_FORMAT)


def configure_logging(*, verbose: bool = False, log_format: LogFormat = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler])
    logging.getLogger("feedback_router").setLevel(logging.DEBUG if verbose else logging.INFO)
    # Model loading prints progress bars through these; they are noise in a service log.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
