"""Writing a digest: English and German wording, dates, and member text that cannot break out."""

from datetime import UTC, datetime

import pytest

from feedback_router.digests import render
from feedback_router.digests.schemas import DigestSections, Praise, Quote, Theme, WorkItem

START, END = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
ATTACK = (
    '<script>alert("x")</script> <img src=x onerror=alert(1)> **bold** _it_ [click](javascript:alert(1)) '
    "@everyone `code` &lt;b&gt;\n# heading\n> quote\n- item | pipe"
)


def sections(**overrides) -> DigestSections:  # type: ignore[no-untyped-def]
    values = dict(
        themes=[
            Theme(cluster_id=1, title="Export crashes", count=3, previous_count=1),
            Theme(cluster_id=2, title="Dark mode", count=1, previous_count=0),
            Theme(cluster_id=3, title="Sync", count=2, previous_count=2),
            Theme(cluster_id=4, title="Fonts", count=1, previous_count=4),
        ],
        in_progress=[WorkItem(cluster_id=1, title="Export crashes", reports=4, status="In Progress")],
        shipped=[WorkItem(cluster_id=5, title="Login fails with SSO", reports=1, status="Done")],
        praise=Praise(count=2, quotes=[Quote(feedback_id=9, text="Wonderful editor", author="Anna Example")]),
    )
    return DigestSections(**{**values, **overrides})


def write(language: str, data: DigestSections, community: str | None = "forum-en") -> str:
    return render.markdown(language=language, sections=data, community=community, start=START, end=END)


def test_english():
    text = write("en", sections())
    assert text.startswith(
        "Here is what the forum-en community told us during 16–22 November 2026, and what we did about it."
    )
    assert "- **Export crashes**: 3 reports (↑ 2 from 1)\n" in text
    assert "- **Dark mode**: 1 report (new)\n" in text
    assert "- **Sync**: 2 reports (unchanged)\n" in text
    assert "- **Fonts**: 1 report (↓ 3 from 4)\n" in text
    assert "_Trend: compared with the 7 days before._" in text
    assert "## What we are working on\n\n- **Export crashes** (4 reports): In Progress\n" in text
    assert "- **You said:** Login fails with SSO (1 report). **We did:** Done.\n" in text
    assert "2 messages of praise reached us in this period." in text
    assert "> “Wonderful editor” — Anna Example\n" in text


def test_german():
    text = write("de", sections(), community=None)
    assert text.startswith(
        "Das habt ihr uns vom 16.–22. November 2026 gesagt, und das haben wir daraus gemacht."
    )
    assert "## Die wichtigsten Themen\n\n- **Export crashes**: 3 Meldungen (↑ 2 gegenüber 1)\n" in text
    assert "- **Dark mode**: 1 Meldung (neu)\n" in text
    assert "- **Fonts**: 1 Meldung (↓ 3 gegenüber 4)\n" in text
    assert "_Trend: im Vergleich zu den 7 Tagen davor._" in text
    assert "## Woran wir arbeiten\n\n- **Export crashes** (4 Meldungen): In Progress\n" in text
    assert "- **Ihr habt gesagt:** Login fails with SSO (1 Meldung). **Wir haben gehandelt:** Done.\n" in text
    assert "In diesem Zeitraum haben uns 2 lobende Nachrichten erreicht." in text
    assert "> „Wonderful editor“ — Anna Example\n" in text


@pytest.mark.parametrize(
    ("language", "polite"),
    [
        (
            "en",
            [
                "No recurring themes",
                "Nothing you reported is in progress",
                "Nothing was completed",
                "No praise",
            ],
        ),
        ("de", ["keine wiederkehrenden Themen", "nichts von dem", "wurde nichts abgeschlossen", "kein Lob"]),
    ],
)
def test_empty_sections_say_so(language, polite):
    text = write(language, DigestSections())
    assert text.count("## ") == 4
    for sentence in polite:
        assert sentence in text
    assert "Trend" not in text


@pytest.mark.parametrize(
    ("start", "end", "en", "de"),
    [
        (START, END, "16–22 November 2026", "16.–22. November 2026"),
        (datetime(2026, 11, 28), datetime(2026, 12, 5),
         "28 November – 4 December 2026", "28. November – 4. Dezember 2026"),
        (datetime(2026, 12, 28), datetime(2027, 1, 4),
         "28 December 2026 – 3 January 2027", "28. Dezember 2026 – 3. Januar 2027"),
        (datetime(2026, 3, 1), datetime(2026, 3, 2), "1 March 2026", "1. März 2026"),
    ],
)  # fmt: skip
def test_periods(start, end, en, de):
    assert render.period_text("en", start, end) == en
    assert render.period_text("de", start, end) == de


def test_titles():
    assert render.title(language="en", community=None, start=START, end=END) == (
        "You said, we did: 16–22 November 2026"
    )
    assert render.title(language="de", community="forum-de", start=START, end=END) == (
        "Ihr habt gesagt, wir haben gehandelt: 16.–22. November 2026 (forum-de)"
    )


def test_member_text_cannot_inject_html_or_break_the_markdown():
    data = sections(
        themes=[Theme(cluster_id=1, title=ATTACK, count=1, previous_count=0)],
        praise=Praise(count=1, quotes=[Quote(feedback_id=1, text=ATTACK, author="<b>@anna_</b>")]),
    )
    text = write("en", data)
    quote_line = next(line for line in text.splitlines() if line.startswith("> “"))
    assert quote_line.endswith("” — \\<b\\>\\@anna\\_\\</b\\>")  # one line, the author after it
    page = render.to_html(text)
    for markup in ("<script", "<img", "<a ", "<strong>bold", "<em>it", "<code>", "<h1>", "<b>", "<table"):
        assert markup not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "**bold** _it_ [click](javascript:alert(1)) @everyone `code` &amp;lt;b&amp;gt; # heading" in page
    # The layout holds: four sections, one theme, one quote.
    assert page.count("<h2>") == 4 and page.count("<blockquote>") == 1
    assert page.count("<li>") == 3  # the theme, the work in progress, the fix


def test_html_from_a_managers_markdown_passes_no_raw_html():
    page = render.to_html('Hello <iframe src="https://evil.example"></iframe>\n\n[x](javascript:alert(1))')
    assert "<iframe" not in page and "&lt;iframe" in page
    assert 'href="javascript:' not in page


def test_exports():
    title = "You said, we did: 16–22 November 2026 <b>"
    page = render.html_document(title_text=title, markdown_text="Hello *all*\n", language="de")
    assert page.startswith('<!DOCTYPE html>\n<html lang="de">')
    assert "<title>You said, we did: 16–22 November 2026 &lt;b&gt;</title>" in page
    assert "<p>Hello <em>all</em></p>" in page
    assert render.markdown_document(title_text=title, markdown_text="Hello\n") == (
        "# You said, we did: 16–22 November 2026 \\<b\\>\n\nHello\n"
    )
