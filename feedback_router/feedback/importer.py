"""Import CSV or JSONL files of feedback.

Bad lines are reported, never fatal; accepted lines are committed in chunks.
"""

import csv
import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from feedback_router.db import session_scope
from feedback_router.errors import InvalidInput, field_summary
from feedback_router.feedback import service
from feedback_router.feedback.schemas import FeedbackCreate

CHUNK = 500
CELL_LIMIT = 2**31 - 1  # csv's default is 131,072 characters; this is the most every platform takes
CSV_COLUMNS = {
    "text", "source", "author_handle", "author_display_name", "author_email",
    "url", "external_id", "created_at", "language", "metadata",
}  # fmt: skip


@dataclass
class ImportSummary:
    imported: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def detect_format(path: Path, fmt: str | None) -> str:
    chosen = (fmt or path.suffix.lstrip(".")).lower()
    if chosen in ("jsonl", "ndjson"):
        return "jsonl"
    if chosen == "csv":
        return "csv"
    raise InvalidInput(f"cannot tell the format of {path.name}: name it .csv or .jsonl, or pass --format")


def _csv_record(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row in the API's shape: author_* columns form the author, metadata.* the metadata."""
    values = {k: v for k, v in row.items() if v not in ("", None)}
    if any("\udc80" <= ch <= "\udcff" for value in values.values() for ch in value):
        raise ValueError("not valid UTF-8")  # undecodable bytes arrive as surrogate escapes
    record: dict[str, Any] = {
        k: values[k] for k in CSV_COLUMNS - {"metadata"} if k in values and not k.startswith("author_")
    }
    author = {
        k.removeprefix("author_"): values[k]
        for k in ("author_handle", "author_display_name", "author_email")
        if k in values
    }
    if author:
        record["author"] = author
    try:
        metadata = json.loads(values.get("metadata", "{}"))
    except json.JSONDecodeError as exc:  # its own message would name a position inside the cell
        raise ValueError(f"metadata is not valid JSON: {exc.msg}") from exc
    if not isinstance(metadata, dict):
        raise ValueError("metadata must be a JSON object")
    metadata.update({k.removeprefix("metadata."): v for k, v in values.items() if k.startswith("metadata.")})
    if metadata:
        record["metadata"] = metadata
    return record


class _Lines:
    """A CSV file's physical lines for csv.reader, counted, keeping the lines of the row being read so
    that reading can start again on the line after a broken row's first."""

    def __init__(self, handle: TextIO) -> None:
        self._source = iter(handle)
        self._again: deque[str] = deque()
        self.number = 0  # lines handed out so far
        self.row: list[str] = []

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = self._again.popleft() if self._again else next(self._source)
        self.number += 1
        self.row.append(line)
        return line

    def next_row(self) -> None:
        self.row = []

    def skip_broken_row(self) -> None:
        """Give back all but the broken row's first line: an unclosed quote took the rows after it."""
        self._again.extendleft(reversed(self.row[1:]))
        self.number -= len(self.row) - 1
        self.row = []


def _csv_problem(exc: csv.Error, lines: _Lines) -> str:
    if str(exc) == "unexpected end of data" or len(lines.row) > 1:
        return "not valid CSV: a quote opened in this row is never closed"
    return f"not valid CSV: {exc}"


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    # A long cell is read whole, so that its row is rejected for its length (the schema's limits are
    # far lower) rather than its lines being taken for rows. The limit is process-wide.
    csv.field_size_limit(CELL_LIMIT)
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        lines = _Lines(handle)
        # csv.reader, not DictReader: DictReader skips blank lines unseen, which shifts the line
        # number of the row after them. Strict, so that a quote left open is an error on its row
        # instead of silently swallowing the rows after it.
        reader = csv.reader(lines, strict=True)
        try:
            header = next(reader, [])
        except csv.Error as exc:
            raise InvalidInput(f"{path.name}: the header line is {_csv_problem(exc, lines)}") from None
        columns = set(header)
        unknown = sorted(c for c in columns - CSV_COLUMNS if not c.startswith("metadata."))
        if "text" not in columns:
            raise InvalidInput(
                f"{path.name} has no 'text' column (columns: {', '.join(sorted(columns)) or 'none'})"
            )
        if unknown:
            raise InvalidInput(
                f"{path.name}: unknown columns {', '.join(unknown)}; known: {', '.join(sorted(CSV_COLUMNS))}"
            )
        while True:
            line = lines.number + 1
            lines.next_row()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield line, _csv_problem(exc, lines)
                lines.skip_broken_row()
                reader = csv.reader(lines, strict=True)
                continue
            if cells:  # a blank line holds no row
                try:
                    if len(cells) > len(header):
                        raise ValueError(f"{len(cells)} cells for {len(header)} columns")
                    yield line, _csv_record(dict(zip(header, cells, strict=False)))
                except ValueError as exc:
                    yield line, str(exc)


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8-sig"))
            except UnicodeDecodeError:
                yield number, "not valid UTF-8"
                continue
            except json.JSONDecodeError as exc:
                yield number, f"not valid JSON: {exc.msg}"
                continue
            yield number, record if isinstance(record, dict) else "each line must be a JSON object"


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def import_file(
    *,
    database_url: str,
    path: Path,
    fmt: str | None = None,
    default_source: str | None = None,
    on_progress: Callable[[int], None] = lambda line: None,
    on_commit: Callable[[], None] = lambda: None,
) -> ImportSummary:
    """Validate each line like the API does and store the good ones, CHUNK per transaction."""
    reader = read_csv if detect_format(path, fmt) == "csv" else read_jsonl
    summary = ImportSummary()
    pending: list[tuple[int, FeedbackCreate]] = []

    def flush() -> None:
        with session_scope(database_url) as session:
            for line, feedback_in in pending:
                try:
                    _, created = service.create(session=session, feedback_in=feedback_in)
                except InvalidInput as exc:
                    summary.rejected.append((line, exc.message))
                    continue
                summary.imported += created
                summary.duplicates += not created
        pending.clear()
        on_commit()

    for line, record in reader(path):
        on_progress(line)
        if isinstance(record, str):
            summary.rejected.append((line, record))
            continue
        if default_source and "source" not in record:
            record["source"] = default_source
        try:
            pending.append((line, FeedbackCreate.model_validate(record)))
        except ValidationError as exc:
            summary.rejected.append((line, field_summary(exc.errors())))
        if len(pending) >= CHUNK:
            flush()
    if pending:
        flush()
    summary.rejected.sort()  # those the database refused were found after later lines' problems
    return summary
