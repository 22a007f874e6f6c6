"""Log set-up for the command line: our messages at INFO, libraries' at WARNING."""

import logging
import os


def configure_logging(*, verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("feedback_router").setLevel(logging.DEBUG if verbose else logging.INFO)
    # Model loading prints progress bars through these; they are noise in a service log.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
