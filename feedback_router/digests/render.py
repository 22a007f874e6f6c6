"""Writing a digest out: one Jinja2 template to Markdown, in the words of ``i18n``, and
markdown-it-py to HTML.

Member text is untrusted. In the Markdown templates every ``{{ value }}`` is escaped for Markdown
(Jinja's ``finalize``, the Markdown counterpart of HTML autoescaping): a quote cannot open a link,
emphasis, a heading, a list, an HTML tag or a Discourse @mention, and is kept on one line. Only
values the code marks as :class:`markupsafe.Markup` (dates it formats itself, and our own strings:
the template's ``t()`` escapes the values put into them instead) and macro output marked with the
``escaped`` filter (escaped inside the macro) pass unescaped. HTML
comes from the Markdown with raw HTML switched off, so neither a member's quote nor a manager's edit
can put markup or scripts into the page; link targets such as ``javascript:`` are refused by
markdown-it's own validation.
"""

import html
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup

from feedback_router.digests.schemas import DigestSections
from feedback_router.i18n import t

TEMPLATES = Path(__file__).parent / "templates"

# CommonMark's backslash escapes for everything that could start markup inline, plus @ (mentions).
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~@&!])")
# At the start of a line these would make a list, heading or rule; member text is never at a line
# start in the templates, but a manager may move it there.
LINE_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def escape_markdown(value: object) -> str:
    """Text that Markdown shows as it is: specials escaped, white space (new lines too) collapsed."""
    text = " ".join(str(value).split())
    text = MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup | int | float):
        return value
    return escape_markdown(value)


def last_day(end: datetime) -> date:
    """The last day a period covers: its end is exclusive."""
    return (end - timedelta(microseconds=1)).date()


def period_text(language: str, start: datetime, end: datetime) -> str:
    """ "17–23 November 2026" or "17.–23. November 2026", with months and years only where they differ."""
    first, last = start.date(), last_day(end)

    def day(d: date, month: bool, year: bool) -> str:
        words = [t(language, "digest_day", day=d.day)]
        words += [t(language, f"month_{d.month:02d}")] if month else []
        return " ".join(words + ([str(d.year)] if year else []))

    if first >= last:
        return day(last, True, True)
    if (first.year, first.month) == (last.year, last.month):
        return f"{day(first, False, False)}–{day(last, True, True)}"
    if first.year == last.year:
        return f"{day(first, True, False)} – {day(last, True, True)}"
    return f"{day(first, True, True)} – {day(last, True, True)}"


def title(*, language: str, community: str | None, start: datetime, end: datetime) -> str:
    """The topic title: "You said, we did: 17–23 November 2026 (community)"."""
    text = f"{t(language, 'digest_title')}: {period_text(language, start, end)}"
    return f"{text} ({community})" if community else text


@lru_cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # Markdown, not HTML: _finalize escapes for Markdown instead
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # A macro's output was escaped inside it; without this filter it would be escaped twice (safe, ugly).
    environment.filters["escaped"] = Markup
    return environment


def markdown(
    *, language: str, sections: DigestSections, community: str | None, start: datetime, end: datetime
) -> str:
    """The digest's body in Markdown (the title is kept apart: it is the topic's title)."""
    length = end - start
    days = length.days if length == timedelta(days=length.days) else None
    text = (
        _environment()
        .get_template("digest.md.j2")
        .render(
            t=_translator(language),
            s=sections,
            community=community,
            period=Markup(period_text(language, start, end)),
            days=days,
        )
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _translator(language: str) -> Callable[..., Markup]:
    """``t(key, **values)`` for the template: our string as it is, the values put into it escaped like
    any ``{{ value }}``."""

    def translate(key: str, **values: Any) -> Markup:
        return Markup(t(language, key, **{name: _finalize(value) for name, value in values.items()}))

    return translate


@lru_cache
def _markdown_it() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def to_html(markdown_text: str) -> str:
    """An HTML fragment from Markdown; raw HTML in it is shown as text, never passed through."""
    return _markdown_it().render(markdown_text)


def html_document(*, title_text: str, markdown_text: str, language: str) -> str:
    """A standalone page for the export."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title_text)}</title>\n</head>\n<body>\n"
        f"<h1>{html.escape(title_text)}</h1>\n{to_html(markdown_text)}</body>\n</html>\n"
    )


def markdown_document(*, title_text: str, markdown_text: str) -> str:
    """The Markdown export: the title as a heading, then the body."""
    return f"# {escape_markdown(title_text)}\n\n{markdown_text}"
