"""The default install has no torch: the service and its default model work without it.

torch, transformers and sentence-transformers come with the ``sentence-transformers`` extra, which
the development install pulls in. Haystack imports torch by itself whenever it is installed
(haystack.utils.device), so the tests hide those packages from a fresh interpreter, as a default
install lacks them, and check that nothing on the default path needs them.
"""

import subprocess
import sys
import textwrap

import pytest

from feedback_router.config import Settings

# Makes the heavy packages absent for the interpreter that runs it, as in a default install.
HEAVY = ("torch", "transformers", "sentence_transformers")
# Two ways to make them absent for a fresh interpreter, as in a default install. Every import of
# them fails: libraries that try them (haystack) go on without, as they do there; but
# importlib.util.find_spec, which only locates, would raise instead of answering None.
FAIL_IMPORT = f"""
import sys

class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {HEAVY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

sys.meta_path.insert(0, Absent())
HEAVY = {HEAVY!r}
"""
# None in sys.modules: find_spec answers None and an import fails, but libraries that look for
# "torch" in sys.modules (scipy's array API) take it for loaded: fit for the short paths to an error.
NOT_FOUND = f"import sys\nsys.modules.update(dict.fromkeys({HEAVY!r}))\n"


def _run(absent: str, code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", absent + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


@pytest.mark.slow
def test_the_app_and_the_default_model_work_without_torch():
    result = _run(
        FAIL_IMPORT,
        """
        from feedback_router.app import create_app
        from feedback_router.cli import app
        from feedback_router import worker
        from classifiers import FeedbackClassifier

        create_app()
        [labels] = FeedbackClassifier.from_model().classify(["The app crashes when I export to PDF"])
        print(labels.kind)
        print(sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY)))
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["bug_report", "[]"]


def test_a_sentence_transformers_model_without_the_extra_is_one_clear_line(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    for model in ("all-MiniLM-L6-v2", "intfloat/multilingual-e5-small", str(folder)):
        result = _run(
            NOT_FOUND,
            f"""
            from classifiers import ModelNotFoundError, resolve_model
            try:
                resolve_model({model!r})
            except ModelNotFoundError as exc:
                print(exc)
            """,
        )
        assert result.returncode == 0, result.stderr
        [line] = result.stdout.splitlines()
        assert "needs the sentence-transformers extra" in line
        assert "pip install 'feedback-router[sentence-transformers]'" in line


def test_serve_with_a_sentence_transformers_model_but_no_extra_exits_2_with_one_line(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fr.db'}")
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "HAYSTACK_TELEMETRY_ENABLED": "False",
        "FEEDBACK_ROUTER_DATABASE_URL": settings.database_url,
        "FEEDBACK_ROUTER_EMBEDDING_MODEL": "all-MiniLM-L6-v2",
    }
    result = _run(
        NOT_FOUND,
        """
        from feedback_router.cli import main
        sys.argv = ["feedback-router", "serve", "--port", "1"]
        main()
        """,
        env=env,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: the model all-MiniLM-L6-v2 needs the sentence-transformers extra")
