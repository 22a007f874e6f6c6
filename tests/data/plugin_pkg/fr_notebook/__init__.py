"""A small third-party sink: each delivery becomes one line in a JSON lines file."""

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from integrations.base import Delivered, Integration, OutletContext, RoutingSink, SinkMessage
from integrations.errors import PermanentIntegrationError


class NotebookSettings(BaseModel):
    """FEEDBACK_ROUTER_NOTEBOOK__PATH: the file to append to."""

    path: Path | None = None


class NotebookSink(RoutingSink):
    """``{type: notebook, page: bugs}`` in a routing file."""

    type: Literal["notebook"]
    page: str

    @property
    def destination(self) -> str:
        return f"notebook:{self.page}"


class NotebookOutlet:
    def __init__(self, settings: NotebookSettings, context: OutletContext) -> None:
        self.settings = settings
        self.context = context

    def missing(self, sink: NotebookSink) -> str | None:
        return None if self.settings.path else f"set {self.context.variable('path')}"

    def deliver(self, sink: NotebookSink, message: SinkMessage) -> Delivered:
        if self.settings.path is None:
            raise PermanentIntegrationError(f"the notebook is not configured: {self.missing(sink)}")
        with self.settings.path.open("a", encoding="utf-8") as notebook:
            line = {"page": sink.page, "ref": message.ref, "summary": message.summary}
            notebook.write(json.dumps(line) + "\n")
        return Delivered(key=f"{sink.page}/{message.ref}")

    def close(self) -> None:
        pass


INTEGRATION = Integration(
    name="notebook",
    title="Notebook",
    settings=NotebookSettings,
    capabilities=frozenset({"sink"}),
    sink=NotebookSink,
    outlet=NotebookOutlet,
)
