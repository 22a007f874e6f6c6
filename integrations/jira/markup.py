"""Our plain, Markdown-ish text as Jira wants it: ADF for Cloud (REST v3), wiki markup for Data Center.

The input is what :class:`integrations.base.TicketRequest` describes: paragraphs separated by blank
lines, ``> `` lines as a quote, ``- `` / ``* `` lines as a bullet list, bare ``http(s)://`` links.
Anything else is text, and is kept as text: feedback must not turn into markup by accident (a
``{html}`` macro, a ``[~user]`` mention).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
BULLET = re.compile(r"^\s*[-*]\s+")
QUOTE = re.compile(r"^\s*>\s?")


@dataclass
class Block:
    """A paragraph, a quote (of paragraphs) or a bullet list (of one-line items)."""

    kind: Literal["paragraph", "quote", "bullets"]
    lines: list[str] = field(default_factory=list)


def parse(text: str) -> list[Block]:
    """Split text into blocks; a quote keeps its inner blank lines as paragraph breaks."""
    blocks: list[Block] = []
    current: Block | None = None
    for raw in text.replace("\r\n", "\n").split("\n"):
        if QUOTE.match(raw):
            kind: Literal["paragraph", "quote", "bullets"] = "quote"
            line = QUOTE.sub("", raw, count=1).rstrip()
        elif not raw.strip():
            current = None
            continue
        elif BULLET.match(raw):
            kind, line = "bullets", BULLET.sub("", raw, count=1).strip()
        else:
            kind, line = "paragraph", raw.strip()
        if current is None or current.kind != kind:
            current = Block(kind)
            blocks.append(current)
        current.lines.append(line)
    return blocks


def to_adf(text: str) -> dict[str, Any]:
    """An Atlassian Document Format document (for Jira Cloud's REST v3)."""
    content: list[dict[str, Any]] = []
    for block in parse(text):
        if block.kind == "paragraph":
            content.append(_adf_paragraph(block.lines))
        elif block.kind == "bullets":
            items = [{"type": "listItem", "content": [_adf_paragraph([line])]} for line in block.lines]
            content.append({"type": "bulletList", "content": items})
        else:
            paragraphs = [_adf_paragraph(lines) for lines in _split_on_blank(block.lines)]
            if paragraphs:
                content.append({"type": "blockquote", "content": paragraphs})
    return {"type": "doc", "version": 1, "content": content}


def to_wiki(text: str) -> str:
    """Jira wiki markup (for Data Center's REST v2, whose description is a string)."""
    parts: list[str] = []
    for block in parse(text):
        if block.kind == "paragraph":
            parts.append("\n".join(_wiki_line(line) for line in block.lines))
        elif block.kind == "bullets":
            parts.append("\n".join("* " + _wiki_escape(line) for line in block.lines))
        else:
            inner = "\n\n".join(
                "\n".join(_wiki_line(line) for line in lines) for lines in _split_on_blank(block.lines)
            )
            parts.append("{quote}\n" + inner + "\n{quote}")
    return "\n\n".join(parts)


def _split_on_blank(lines: list[str]) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            groups[-1].append(line)
        elif groups[-1]:
            groups.append([])
    return [group for group in groups if group]


def _adf_paragraph(lines: list[str]) -> dict[str, Any]:
    inline: list[dict[str, Any]] = []
    for number, line in enumerate(lines):
        if number:
            inline.append({"type": "hardBreak"})
        inline.extend(_adf_text(line))
    return {"type": "paragraph", "content": inline}


def _adf_text(line: str) -> list[dict[str, Any]]:
    """Text nodes for one line, links marked; ADF forbids empty text nodes."""
    nodes: list[dict[str, Any]] = []
    position = 0
    for match in URL.finditer(line):
        if match.start() > position:
            nodes.append({"type": "text", "text": line[position : match.start()]})
        url = match.group(0)
        nodes.append({"type": "text", "text": url, "marks": [{"type": "link", "attrs": {"href": url}}]})
        position = match.end()
    if position < len(line):
        nodes.append({"type": "text", "text": line[position:]})
    return nodes


def _wiki_line(line: str) -> str:
    # A line that starts like wiki block markup (list, heading, "bq.", table) must stay text.
    escaped = _wiki_escape(line)
    if re.match(r"^(?:[*#|-]|h[1-6]\.|bq\.)", escaped):
        escaped = "\\" + escaped
    return escaped


def _wiki_escape(text: str) -> str:
    """Escape macros ``{...}``, links and mentions ``[...]`` and images ``!...!``, but not inside URLs."""
    out: list[str] = []
    position = 0
    for match in URL.finditer(text):
        out.append(re.sub(r"([{}\[\]!])", r"\\\1", text[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(re.sub(r"([{}\[\]!])", r"\\\1", text[position:]))
    return "".join(out)
