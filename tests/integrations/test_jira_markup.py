"""Our Markdown-ish text as ADF (Jira Cloud) and wiki markup (Data Center)."""

from __future__ import annotations

from integrations.jira.markup import to_adf, to_wiki

TEXT = """Reported on the forum: https://community.example.org/t/42.

> It broke.
>
> Twice!

- first
* second"""


def test_adf_has_paragraphs_quotes_lists_and_links() -> None:
    assert to_adf(TEXT) == {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Reported on the forum: "},
                    {
                        "type": "text",
                        "text": "https://community.example.org/t/42",
                        "marks": [{"type": "link", "attrs": {"href": "https://community.example.org/t/42"}}],
                    },
                    {"type": "text", "text": "."},
                ],
            },
            {
                "type": "blockquote",
                "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": "It broke."}]},
                    {"type": "paragraph", "content": [{"type": "text", "text": "Twice!"}]},
                ],
            },
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": t}]}],
                    }
                    for t in ("first", "second")
                ],
            },
        ],
    }


def test_adf_of_nothing_is_an_empty_document() -> None:
    assert to_adf("  \n\n") == {"type": "doc", "version": 1, "content": []}


def test_wiki_markup() -> None:
    assert to_wiki(TEXT) == (
        "Reported on the forum: https://community.example.org/t/42.\n\n"
        "{quote}\nIt broke.\n\nTwice\\!\n{quote}\n\n"
        "* first\n* second"
    )


def test_feedback_cannot_inject_wiki_markup() -> None:
    hostile = "{html}<script>{html} [~admin] !http://x.org/a.png!\n# not a list\nh1. not a heading"
    assert to_wiki(hostile) == (
        "\\{html\\}<script>\\{html\\} \\[~admin\\] \\!http://x.org/a.png\\!\n"
        "\\# not a list\n"
        "\\h1. not a heading"
    )
