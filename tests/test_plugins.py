"""Integrations are plugins: the built-in ones and a third party's come from the same entry points.

The third-party sink is tests/data/plugin_pkg, a package of its own: pip installs it into a temporary
folder, and a fresh process with that folder on its path routes an item to it. Nothing in the service
names it; the real entry-point discovery finds it.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feedback_router import plugins
from integrations.base import Integration

ROUTES = """\
version: 2
teams:
  notes: {sinks: [{type: notebook, page: bugs}, {type: board}]}
rules:
  - {name: bugs-to-notes, when: {kind: bug_report}, team: notes}
"""

ROUTE_ONE = """\
import json
from sqlalchemy import select
from feedback_router.config import get_settings
from feedback_router.db import session_scope
from feedback_router.migrate import upgrade
from feedback_router.tickets.models import Ticket
from feedback_router.jobs import deliver
from tests.routing.helpers import labelled

settings = get_settings()
upgrade(settings.database_url)
item = labelled(settings, "Export to PDF crashes on save", "bug_report", 0.93)
deliver(settings)
with session_scope(settings.database_url) as session:
    rows = session.scalars(select(Ticket).where(Ticket.feedback_id == item)).all()
    print(json.dumps({"item": item, "tickets": {t.destination: [t.delivery, t.external_key] for t in rows}}))
"""

UNREACHABLE = """\
import sys
from pathlib import Path
from feedback_router.config import get_settings
from feedback_router.routing import rules
from feedback_router.tickets.delivery import unconfigured

print("\\n".join(unconfigured(routing=rules.load(Path(sys.argv[1])), settings=get_settings())))
"""


def test_the_built_in_integrations_are_registered_by_our_entry_points():
    found = plugins.registered()
    assert {"jira", "slack", "webhook", "discourse", "mail"} <= set(found), (
        "the built-in integrations are missing: refresh the install's entry points (pip install -e .)"
    )
    assert all(isinstance(descriptor, Integration) for descriptor in found.values())
    assert [d.name for d in found.values() if "sink" in d.capabilities][:3] == ["jira", "slack", "webhook"]
    assert "ticket_status" in found["jira"].capabilities and found["mail"].sink is None


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test package, installed by pip as a user would install it (into a folder, not our venv)."""
    source = tmp_path_factory.mktemp("src") / "plugin_pkg"  # pip builds in place: keep tests/data clean
    shutil.copytree(Path(__file__).parent / "data" / "plugin_pkg", source)
    site = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run([*command, "--no-index", "--target", str(site), str(source)], check=True, timeout=300)
    return site


def run(site: Path, tmp_path: Path, args: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    """A fresh process with the plugin on its path, configured by FEEDBACK_ROUTER_* variables only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_ROUTER_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *(p for p in sys.path if p)])
    env.update({f"FEEDBACK_ROUTER_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_third_party_sink_is_routed_to_without_touching_the_service(plugin_site, tmp_path):
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES, encoding="utf-8")
    notebook = tmp_path / "notebook.jsonl"

    done = run(
        plugin_site,
        tmp_path,
        ["-c", ROUTE_ONE],
        database_url=f"sqlite:///{tmp_path / 'feedback.db'}",
        routing_file=str(routes),
        notebook__path=str(notebook),  # the plugin's own settings group, read from the environment
    )

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    item = result["item"]
    [line] = [json.loads(text) for text in notebook.read_text(encoding="utf-8").splitlines()]
    assert line == {"page": "bugs", "ref": f"fr-{item}", "summary": "Export to PDF crashes on save"}
    assert result["tickets"] == {
        "notebook:bugs": ["delivered", f"bugs/fr-{item}"],  # the plugin's reference, kept like Jira's key
        "board": ["delivered", None],
    }
    # the broken entry point of the same package was reported and skipped; the service went on
    assert "integration broken (fr_notebook.missing:INTEGRATION) failed to load and is skipped" in done.stderr


def test_the_plugins_sink_type_is_checked_and_its_missing_setting_named(plugin_site, tmp_path):
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES, encoding="utf-8")
    database = {"database_url": f"sqlite:///{tmp_path / 'feedback.db'}"}
    # what serve checks at start (and the routing files API reports): the settings a sink lacks
    unset = run(plugin_site, tmp_path, ["-c", UNREACHABLE, str(routes)], **database)
    routes.write_text(ROUTES.replace("type: notebook", "type: notebok"), encoding="utf-8")
    check = ["-c", "from feedback_router.cli import main; main()", "routes", "check", str(routes)]
    misspelt = run(plugin_site, tmp_path, check, **database)

    assert unset.stdout.splitlines()[-1] == "team notes sends to Notebook: set FEEDBACK_ROUTER_NOTEBOOK__PATH"
    assert misspelt.returncode == 2
    assert "'notebok'" in misspelt.stderr and "'notebook'" in misspelt.stderr  # the plugin's type is known
