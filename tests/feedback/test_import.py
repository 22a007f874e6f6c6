"""`feedback-router import FILE`: CSV and JSONL, line-numbered rejections, duplicates, chunks."""

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from feedback_router.cli import app
from feedback_router.db import session_scope
from feedback_router.feedback import service
from feedback_router.feedback.models import Feedback, JobStatus, ProcessingJob
from feedback_router.feedback.schemas import FeedbackCreate
from tests.cli_helpers import error_line

runner = CliRunner()

# What tests/data/import/feedback.csv and feedback.jsonl both hold, row by row.
EXPECTED = [
    {
        "text": "Export to PDF crashes on Android 14 when the document has images.",
        "source": "forum",
        "author_handle": "anna",
        "author_display_name": "Anna K.",
        "author_email": "anna@example.org",
        "url": "https://forum.example.org/t/123",
        "external_id": "post-123",
        "created_at": datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        "language": "en",
        "meta": {"thread": "Exports", "board": "Bugs"},
    },
    {
        "text": "Wie kann ich mein Passwort ändern?",
        "source": "email",
        "author_handle": "jonas",
        "author_display_name": None,
        "author_email": None,
        "url": None,
        "external_id": "mail-77",
        "created_at": None,
        "language": "de",
        "meta": {},
    },
    {
        "text": "Please add a dark mode.\nIt would help at night.",
        "source": "api",
        "author_handle": None,
        "author_display_name": None,
        "author_email": None,
        "url": None,
        "external_id": None,
        "created_at": None,
        "language": None,
        "meta": {"board": "Ideas"},
    },
]


def run_import(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["import", *(str(a) for a in args)])


def stored(url: str) -> list[Feedback]:
    with session_scope(url) as session:
        return list(session.scalars(select(Feedback).order_by(Feedback.id)))


def job_count(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(ProcessingJob)) or 0


def summary_of(output: str) -> tuple[str, dict[int, str]]:
    """The summary line and the rejected lines by number."""
    lines = output.splitlines()
    rejected = {}
    for line in lines[1:]:
        match = re.fullmatch(r"  line (\d+): (.+)", line)
        assert match, f"unexpected output line {line!r}"
        rejected[int(match[1])] = match[2]
    return lines[0], rejected


@pytest.mark.parametrize("name", ["feedback.csv", "feedback.jsonl"])
def test_rows_are_stored_with_author_metadata_and_a_job_each(settings, data_dir, name):
    result = run_import(data_dir / "import" / name)

    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 3, duplicates 0, rejected 0\n"
    rows = stored(settings.database_url)
    assert [{key: getattr(row, key) for key in EXPECTED[0]} for row in rows] == EXPECTED
    assert all(row.status == "received" and row.kind is None for row in rows)  # import runs no model
    with session_scope(settings.database_url) as session:
        jobs = list(session.scalars(select(ProcessingJob).order_by(ProcessingJob.feedback_id)))
    assert [job.feedback_id for job in jobs] == [row.id for row in rows]
    assert {job.status for job in jobs} == {JobStatus.pending}


def test_bad_jsonl_lines_are_listed_by_number_and_the_rest_is_kept(settings, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b'{"text": "first good line"}\n'  # 1
        b'{"text": "unclosed\n'  # 2
        b'["an", "array"]\n'  # 3
        b'{"text": "caf\xe9 in Latin-1"}\n'  # 4
        b"\n"  # 5: blank, skipped silently
        b'{"text": "   "}\n'  # 6
        b'{"text": "from nowhere", "source": "myspace"}\n'  # 7
        b'"just a string"\n'  # 8
        b'{"text": "last good line", "source": "slack"}\n'  # 9
    )

    result = run_import(path)

    assert result.exit_code == 1
    summary, rejected = summary_of(result.stdout)
    assert summary == "imported 2, duplicates 0, rejected 6"
    assert sorted(rejected) == [2, 3, 4, 6, 7, 8]
    assert rejected[2].startswith("not valid JSON")
    assert rejected[3] == rejected[8] == "each line must be a JSON object"
    assert rejected[4] == "not valid UTF-8"
    assert rejected[6].startswith("text: ")
    assert rejected[7].startswith("source: ")
    assert [(r.text, r.source) for r in stored(settings.database_url)] == [
        ("first good line", "api"),
        ("last good line", "slack"),
    ]
    assert job_count(settings.database_url) == 2


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_csv_line_numbers_count_physical_lines(settings, tmp_path, newline):
    lines = [
        "text,source,external_id",  # 1
        '"A report that goes',  # 2
        "on over",  # 3
        'three lines",forum,c1',  # 4
        ",forum,c2",  # 5: empty text
        "fine words,myspace,c3",  # 6: unknown source
        "too,many,cells,here",  # 7
        "",  # 8: blank, skipped
        "after a blank line,,c4",  # 9
        "   ,forum,c5",  # 10: text of spaces only
        '"Two',  # 11
        'lines",email,c6',  # 12
        "",  # 13
        "",  # 14
        "short row",  # 15: fewer cells is fine
        ",,c7",  # 16: empty text
    ]
    path = tmp_path / "rows.csv"
    path.write_bytes(newline.join(lines).encode() + newline.encode())

    result = run_import(path)

    assert result.exit_code == 1
    summary, rejected = summary_of(result.stdout)
    assert summary == "imported 4, duplicates 0, rejected 5"
    assert sorted(rejected) == [5, 6, 7, 10, 16]
    assert rejected[5].startswith("text: ") and rejected[10].startswith("text: ")
    assert rejected[6].startswith("source: ")
    assert rejected[7] == "4 cells for 3 columns"
    texts = [r.text for r in stored(settings.database_url)]
    assert texts == [
        f"A report that goes{newline}on over{newline}three lines",
        "after a blank line",
        f"Two{newline}lines",
        "short row",
    ]


def test_csv_rejects_invalid_utf8_and_bad_metadata_row_by_row(settings, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(
        b"text,metadata,metadata.board\n"  # 1
        b"plain row,,\n"  # 2
        b"caf\xe9 in Latin-1,,\n"  # 3
        b'metadata that is a list,"[1, 2]",\n'  # 4
        b"metadata that is no JSON,{oops,\n"  # 5
        b'metadata with a number,"{""votes"": 3}",\n'  # 6
        b'metadata both ways,"{""thread"": ""Login""}",Bugs\n'  # 7
    )

    result = run_import(path)

    assert result.exit_code == 1
    summary, rejected = summary_of(result.stdout)
    assert summary == "imported 2, duplicates 0, rejected 4"
    assert sorted(rejected) == [3, 4, 5, 6]
    assert rejected[3] == "not valid UTF-8"
    assert rejected[4] == "metadata must be a JSON object"
    assert rejected[5].startswith("metadata is not valid JSON: ")
    assert rejected[6].startswith("metadata") and "votes" in rejected[6]
    assert [(r.text, r.meta) for r in stored(settings.database_url)] == [
        ("plain row", {}),
        ("metadata both ways", {"thread": "Login", "board": "Bugs"}),
    ]


def test_csv_with_a_byte_order_mark_is_read(settings, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftext,source\nsaved from a spreadsheet,forum\n".encode())

    result = run_import(path)

    assert result.exit_code == 0, result.output
    assert [(r.text, r.source) for r in stored(settings.database_url)] == [
        ("saved from a spreadsheet", "forum")
    ]


def test_duplicates_within_the_file_and_against_the_database_are_counted_not_stored(settings, tmp_path):
    with session_scope(settings.database_url) as session:
        service.create(
            session=session,
            feedback_in=FeedbackCreate(text="stored before", source="forum", external_id="p1"),
        )
    path = tmp_path / "dups.jsonl"
    records = [
        {"text": "same post, imported again", "source": "forum", "external_id": "p1"},  # the stored one
        {"text": "new post", "source": "forum", "external_id": "p2"},
        {"text": "new post, twice in the file", "source": "forum", "external_id": "p2"},
        {"text": "same id, other source", "source": "twitter", "external_id": "p2"},
        {"text": "no id: never a duplicate"},
        {"text": "no id: never a duplicate"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    result = run_import(path)

    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 4, duplicates 2, rejected 0\n"
    rows = stored(settings.database_url)
    assert [(r.text, r.source, r.external_id) for r in rows] == [
        ("stored before", "forum", "p1"),
        ("new post", "forum", "p2"),
        ("same id, other source", "twitter", "p2"),
        ("no id: never a duplicate", "api", None),
        ("no id: never a duplicate", "api", None),
    ]
    assert job_count(settings.database_url) == 5

    again = run_import(path)
    assert again.exit_code == 0
    assert again.stdout == "imported 2, duplicates 4, rejected 0\n"  # only the items without an id


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("body,source", "has no 'text' column (columns: body, source)"),
        ("text,source,colour,metadata.board", "unknown columns colour; known: "),
    ],
)
def test_bad_csv_header_exits_2_with_one_line_and_stores_nothing(settings, tmp_path, header, message):
    path = tmp_path / "header.csv"
    path.write_text(f"{header}\nsome text,forum,x,y\n", encoding="utf-8")

    result = run_import(path)

    assert message in error_line(result)
    assert result.stdout == ""
    assert stored(settings.database_url) == []


def test_unknown_extension_needs_format(settings, tmp_path):
    path = tmp_path / "export.txt"
    path.write_text('{"text": "from a chat export"}\n', encoding="utf-8")

    assert "cannot tell the format of export.txt" in error_line(run_import(path))
    assert stored(settings.database_url) == []

    result = run_import(path, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert [r.text for r in stored(settings.database_url)] == ["from a chat export"]


def test_missing_file_exits_2(settings, tmp_path):
    missing = tmp_path / "nowhere.csv"
    assert f"{missing} is not a file" in error_line(run_import(missing))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.jsonl", '{"text": "no source"}\n{"text": "own source", "source": "twitter"}\n'),
        ("a.csv", "text,source\nno source,\nown source,twitter\n"),
    ],
)
def test_source_option_is_the_default_for_lines_without_one(settings, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    result = run_import(path, "--source", "forum")

    assert result.exit_code == 0, result.output
    assert [(r.text, r.source) for r in stored(settings.database_url)] == [
        ("no source", "forum"),
        ("own source", "twitter"),
    ]


def test_more_lines_than_one_chunk_are_all_stored(settings, tmp_path):
    path = tmp_path / "many.jsonl"
    lines = [json.dumps({"text": f"item {i}", "external_id": f"m{i}"}) for i in range(1200)]
    lines[700] = '{"text": ""}'  # a rejection in the second chunk keeps its number
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_import(path)

    assert result.exit_code == 1
    summary, rejected = summary_of(result.stdout)
    assert summary == "imported 1199, duplicates 0, rejected 1"
    assert list(rejected) == [701]
    assert len(stored(settings.database_url)) == job_count(settings.database_url) == 1199


def test_exit_code_is_0_when_only_duplicates(settings, tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text('{"text": "once", "external_id": "e1"}\n' * 3, encoding="utf-8")

    result = run_import(path)

    assert result.exit_code == 0
    assert result.stdout == "imported 1, duplicates 2, rejected 0\n"


def test_empty_file_imports_nothing(settings, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")

    result = run_import(path)

    assert result.exit_code == 0
    assert result.stdout == "imported 0, duplicates 0, rejected 0\n"


def good_rows(first: int, count: int) -> list[str]:
    return [f"good row {i},forum,g{i}" for i in range(first, first + count)]


def test_a_cell_over_csv_s_default_limit_rejects_its_row_and_keeps_the_others(settings, tmp_path):
    long_cell = "x" * 131_073  # one more than csv.field_size_limit()'s default
    lines = ["text,source,external_id", *good_rows(1, 3), f"{long_cell},forum,long", *good_rows(4, 3)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_import(path)

    assert result.exit_code == 1
    summary, rejected = summary_of(result.stdout)
    assert summary == "imported 6, duplicates 0, rejected 1"
    assert list(rejected) == [5]
    assert rejected[5].startswith("text: ") and "10000" in rejected[5]
    assert [r.external_id for r in stored(settings.database_url)] == [f"g{i}" for i in range(1, 7)]


def test_a_long_quoted_cell_over_several_lines_is_one_rejected_row(settings, tmp_path):
    cell = "\n".join(["y" * 70_000] * 3)  # its lines must not be taken for rows
    path = tmp_path / "long.csv"
    path.write_text(f'text,source\n"{cell}",forum\nafter it,forum\n', encoding="utf-8")

    result = run_import(path)

    summary, rejected = summary_of(result.stdout)
    assert (summary, list(rejected)) == ("imported 1, duplicates 0, rejected 1", [2])
    assert [r.text for r in stored(settings.database_url)] == ["after it"]


def test_an_unclosed_quote_rejects_its_row_and_keeps_the_twenty_after_it(settings, tmp_path):
    lines = ["text,source,external_id", *good_rows(1, 5), '"broken row,forum,b1', *good_rows(6, 20)]
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_import(path)

    assert result.exit_code == 1
    summary, rejected = summary_of(result.stdout)
    assert summary == "imported 25, duplicates 0, rejected 1"
    assert rejected == {7: "not valid CSV: a quote opened in this row is never closed"}
    assert [r.external_id for r in stored(settings.database_url)] == [f"g{i}" for i in range(1, 26)]


def test_an_unclosed_quote_before_quoted_rows_keeps_them_and_their_line_numbers(settings, tmp_path):
    lines = [
        "text,source,external_id",  # 1
        'broken "quote,forum,b1',  # 2: a quote inside an unquoted cell is only a character
        '"unclosed,forum,b2',  # 3
        '"quoted, with a comma",forum,q1',  # 4
        '"over',  # 5
        'two lines",forum,q2',  # 6
        "plain,forum,p1",  # 7
    ]
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_import(path)

    summary, rejected = summary_of(result.stdout)
    assert summary == "imported 4, duplicates 0, rejected 1"
    assert list(rejected) == [3]
    assert [(r.text, r.external_id) for r in stored(settings.database_url)] == [
        ('broken "quote', "b1"),
        ("quoted, with a comma", "q1"),
        ("over\ntwo lines", "q2"),
        ("plain", "p1"),
    ]


@pytest.mark.parametrize("ending", ["\n", ""], ids=["newline", "no-newline"])
def test_an_unclosed_quote_on_the_last_row_is_rejected_not_imported(settings, tmp_path, ending):
    path = tmp_path / "quote.csv"
    path.write_text("text,source\nfirst,forum\nsecond,forum\n" + '"broken last row,forum' + ending)

    result = run_import(path)

    assert result.exit_code == 1
    summary, rejected = summary_of(result.stdout)
    assert summary == "imported 2, duplicates 0, rejected 1"
    assert rejected == {4: "not valid CSV: a quote opened in this row is never closed"}
    assert [r.text for r in stored(settings.database_url)] == ["first", "second"]


def test_a_stray_quote_after_a_quoted_cell_names_the_row(settings, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('text,source\n"quoted"tail,forum\nnext,forum\n', encoding="utf-8")

    result = run_import(path)

    summary, rejected = summary_of(result.stdout)
    assert summary == "imported 1, duplicates 0, rejected 1"
    assert rejected == {2: "not valid CSV: ',' expected after '\"'"}


NUL_LINE = {
    "text": "Export\u0000 crashes",
    "author": {"handle": "an\u0000na"},
    "metadata": {"board": "Bu\u0000gs"},
}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "nul.csv",
            "text,author_handle,metadata.board\n"
            "good before,a,b\nExport\x00 crashes,an\x00na,Bu\x00gs\ngood after,c,d\n",
        ),
        (
            "nul.jsonl",
            "".join(
                json.dumps(r) + "\n" for r in ({"text": "good before"}, NUL_LINE, {"text": "good after"})
            ),
        ),
    ],
)
def test_nul_characters_are_dropped_in_import_and_every_line_is_kept(settings, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    result = run_import(path)

    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 3, duplicates 0, rejected 0\n"
    rows = stored(settings.database_url)
    assert [r.text for r in rows] == ["good before", "Export crashes", "good after"]
    assert (rows[1].author_handle, rows[1].meta) == ("anna", {"board": "Bugs"})
