"""feedback-router digest: a draft from the command line, for cron."""

from typer.testing import CliRunner

from feedback_router.cli import app
from feedback_router.db import session_scope
from feedback_router.digests.models import Digest
from tests.cli_helpers import error_line
from tests.digests.builders import community_scene

runner = CliRunner()


def test_the_command_drafts_a_digest(settings):
    with session_scope(settings.database_url) as session:
        community_scene(session)
    result = runner.invoke(
        app,
        [
            "digest",
            "--language",
            "de",
            "--community",
            "forum-en",
            "--start",
            "2026-11-16",
            "--end",
            "2026-11-23",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "digest 1 (draft): Ihr habt gesagt, wir haben gehandelt: 16.–22. November 2026 (forum-en)",
        "review it (GET /v1/digests/1) and approve it (POST /v1/digests/1/approve)",
    ]
    with session_scope(settings.database_url) as session:
        digest = session.get(Digest, 1)
        assert digest is not None and "3 Meldungen (↑ 2 gegenüber 1)" in digest.markdown


def test_the_command_refuses_wrong_input(settings):
    assert "language: Input should be 'en' or 'de'" in error_line(
        runner.invoke(app, ["digest", "--language", "fr"])
    )
    backwards = runner.invoke(
        app, ["digest", "--language", "en", "--start", "2026-11-23", "--end", "2026-11-16"]
    )
    assert "must be after period_start" in error_line(backwards)


def test_a_failed_auto_publication_exits_1(configure):
    configure(digest_auto_publish=True)  # but no Discourse settings
    result = runner.invoke(app, ["digest", "--language", "en"])
    assert result.exit_code == 1
    assert result.stdout.startswith("digest 1 (approved): You said, we did: ")
    assert result.stderr.strip() == (
        "not published: Discourse is not configured: set FEEDBACK_ROUTER_DISCOURSE__URL, __API_KEY and "
        "__API_USERNAME"
    )
