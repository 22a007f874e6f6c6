"""Files written whole or not at all: into a temporary file beside the target, then renamed over it."""

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_atomically(path: Path, write: Callable[[Any], None], *, binary: bool) -> None:
    """Calls ``write`` with an open file; readers see the old file or the whole new one."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(temporary, "wb" if binary else "w", encoding=None if binary else "utf-8") as handle:
        write(handle)
    os.replace(temporary, path)
