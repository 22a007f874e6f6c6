"""Debian's Firefox ESR driven over WebDriver BiDi, the W3C protocol Firefox speaks natively.

Playwright drives only its own patched Firefox builds, and no geckodriver can be downloaded here,
so the tests talk to ``firefox --remote-debugging-port`` themselves: JSON commands over one
WebSocket (``websockets``). Only what the extension tests need: install an add-on, open tabs,
evaluate script in them, and wait for a condition with a cap.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

LISTENING = re.compile(r"WebDriver BiDi listening on (ws://\S+)")


class BidiError(RuntimeError):
    """A command Firefox refused, or a script that threw: its message as Firefox gave it."""


class Firefox:
    """One BiDi session; ``command`` sends a command and returns its result, skipping events."""

    def __init__(self, connection: ClientConnection, timeout: float) -> None:
        self._connection = connection
        self._timeout = timeout
        self._next_id = 0

    def command(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self._connection.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:  # events (none subscribed) and answers to nothing else can come in between
            message = json.loads(self._connection.recv(timeout=self._timeout))
            if message.get("id") == self._next_id:
                if message["type"] == "error":
                    raise BidiError(f"{method}: {message['error']}: {message['message']}")
                result: dict[str, Any] = message["result"]
                return result

    def new_tab(self, url: str) -> str:
        """A new tab showing ``url`` once it has loaded; returns its browsing-context id."""
        context: str = self.command("browsingContext.create", type="tab")["context"]
        self.navigate(context, url)
        return context

    def navigate(self, context: str, url: str) -> None:
        """Loads ``url`` in the tab and returns once it has loaded."""
        self.command("browsingContext.navigate", context=context, url=url, wait="complete")

    def click(self, context: str, css: str) -> None:
        """A real mouse click in the middle of the first element ``css`` finds, as a person makes it."""
        (node,) = self.command(
            "browsingContext.locateNodes",
            context=context,
            locator={"type": "css", "value": css},
            maxNodeCount=1,
        )["nodes"]
        origin = {"type": "element", "element": {"sharedId": node["sharedId"]}}
        mouse = [
            {"type": "pointerMove", "x": 0, "y": 0, "origin": origin},
            {"type": "pointerDown", "button": 0},
            {"type": "pointerUp", "button": 0},
        ]
        self.command(
            "input.performActions",
            context=context,
            actions=[{"type": "pointer", "id": "mouse", "actions": mouse}],
        )

    def evaluate(self, context: str, expression: str, *, user_activation: bool = False) -> Any:
        """The value of ``expression`` (awaited, JSON-serialisable) in the tab's page.

        ``user_activation``: run it as if a person had just clicked (a bookmark, say), so that
        it may open a window."""
        answer = self.command(
            "script.evaluate",
            expression=f"(async () => JSON.stringify(await ({expression})))()",
            target={"context": context},
            awaitPromise=True,
            userActivation=user_activation,
        )
        if answer["type"] == "exception":
            raise BidiError(answer["exceptionDetails"]["text"])
        value = answer["result"].get("value")  # absent when the expression gave undefined
        return None if value is None else json.loads(value)

    def wait_for(self, context: str, expression: str, *, timeout: float) -> Any:
        """Polls ``expression`` until it is truthy (then returns it), for ``timeout`` seconds at most."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(context, expression)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {expression}")
            time.sleep(0.2)
        return value

    def wait_for_tab(self, url_part: str, *, timeout: float) -> str:
        """The browsing context of the (first) tab or window whose address contains ``url_part``."""
        deadline = time.monotonic() + timeout
        while True:
            for context in self.command("browsingContext.getTree", maxDepth=0)["contexts"]:
                if url_part in context["url"]:
                    found: str = context["context"]
                    return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"no tab shows {url_part} after {timeout} s")
            time.sleep(0.2)


@contextlib.contextmanager
def firefox(executable: str, profile: Path, *, prefs: dict[str, Any], timeout: float) -> Iterator[Firefox]:
    """Headless Firefox in the fresh ``profile`` with ``prefs``, one BiDi session on it.

    ``--remote-allow-system-access`` lets BiDi open the add-on's own pages (moz-extension://), where
    the tests reach its background script, and the browser window (``"moz:scope": "chrome"``), where
    Firefox keeps its warnings about the manifest; it refuses both otherwise."""
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "user.js").write_text(
        "".join(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n" for name, value in prefs.items())
    )
    log = profile / "firefox.log"  # its output, kept for a failed test's reader
    with log.open("w") as output:
        process = subprocess.Popen(
            [executable, "--headless", "--no-remote", "--profile", str(profile)]
            + ["--remote-debugging-port=0", "--remote-allow-system-access"],
            stdout=output,
            stderr=output,
        )
    try:
        deadline = time.monotonic() + timeout
        while not (found := LISTENING.search(log.read_text(errors="replace"))):  # the port it chose
            if process.poll() is not None or time.monotonic() > deadline:
                raise BidiError(f"{executable} is not listening for WebDriver BiDi; see {log}")
            time.sleep(0.1)
        address = found.group(1)
        with connect(f"{address}/session", max_size=None, open_timeout=timeout) as connection:
            session = Firefox(connection, timeout)
            session.command("session.new", capabilities={})
            yield session
            session.command("session.end")
    finally:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
