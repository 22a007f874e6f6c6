"""The README and the documentation site: short, true to the Makefile and CI, and built strictly."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` as a developer runs it: any warning (a broken link, a page
    missing from the nav) fails the build."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        cwd=config.parent,  # the changelog page includes CHANGELOG.md relative to here
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # material's banner about its successor
        timeout=300,
    )


def test_the_docs_build_strictly(tmp_path):
    result = build(ROOT / "mkdocs.yml", tmp_path / "site")

    assert result.returncode == 0, result.stderr
    for page in ("index.html", "settings/index.html", "evaluation/index.html", "decisions/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
    changelog = (tmp_path / "site" / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "Keep a Changelog" in changelog  # included from CHANGELOG.md, not a copy


def test_a_broken_link_fails_the_docs_build(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy)
    shutil.copy(ROOT / "CHANGELOG.md", copy)
    with (copy / "docs" / "settings.md").open("a", encoding="utf-8") as page:
        page.write("\nSee [the old page](no-such-page.md).\n")

    result = build(copy / "mkdocs.yml", tmp_path / "site")

    assert result.returncode != 0
    assert "no-such-page.md" in result.stderr


def test_the_readme_is_short_and_names_the_commands_ci_runs():
    text = README.read_text(encoding="utf-8")
    commands = text[text.index("## Two commands") :]
    block = re.search(r"```sh\n(.*?)```", commands, re.DOTALL)
    assert block is not None, "the README's Two commands section shows them"
    named = [line.split("#")[0].strip() for line in block.group(1).splitlines()]

    assert named == ["make install", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^install:", makefile, re.MULTILINE) and re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200  # details live in docs/


def test_every_file_the_readme_links_exists():
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link]

    assert local, "the README links the documentation"
    assert [link for link in local if not (ROOT / link).is_file()] == []
