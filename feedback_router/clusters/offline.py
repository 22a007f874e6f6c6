"""`feedback-router cluster FILE`: cluster a CSV/JSONL offline, as the service would, and report."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from feedback_router.feedback.importer import detect_format, read_csv, read_jsonl

QUOTES = 3


@dataclass
class OfflineResult:
    """Each usable line with its cluster, the lines that could not be read, and the report."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    report: str = ""
    clusters: int = 0


def _records(path: Path, fmt: str | None) -> Iterator[tuple[int, dict[str, Any] | str]]:
    return read_csv(path) if detect_format(path, fmt) == "csv" else read_jsonl(path)


def cluster_file(
    path: Path,
    *,
    embed: Callable[[list[str]], np.ndarray],
    threshold: float,
    fmt: str | None = None,
    batch_size: int = 64,
    on_progress: Callable[[int], None] = lambda done: None,
) -> OfflineResult:
    """Cluster every line's text online in file order, then re-cluster once, and write the report.

    Args:
        path: a CSV or JSONL file with a ``text`` column or field (as ``import`` reads it).
        embed: texts to vectors (the service's embedding model).
        threshold: the similarity an item needs to join a cluster.
        fmt: ``csv`` or ``jsonl``; from the file name when None.
        batch_size: texts embedded together.
        on_progress: called with the number of lines embedded so far.
    """
    from classifiers.clustering import OnlineClusterer, representatives

    result = OfflineResult()
    records: list[dict[str, Any]] = []
    for number, record in _records(path, fmt):
        if isinstance(record, str):
            result.rejected.append(f"line {number}: {record}")
        elif not isinstance(record.get("text"), str) or not record["text"].strip():
            result.rejected.append(f"line {number}: no text")
        else:
            records.append({**record, "line": number})
    vectors = []
    for start in range(0, len(records), batch_size):
        vectors.append(embed([r["text"] for r in records[start : start + batch_size]]))
        on_progress(min(start + batch_size, len(records)))
    matrix = np.vstack(vectors) if vectors else np.zeros((0, 1))
    clusterer = OnlineClusterer(threshold=threshold)
    for index, vector in enumerate(matrix):
        clusterer.add(index, vector)
    clusterer.recluster()
    members = {cid: sorted(cast(list[int], ids)) for cid, ids in clusterer.clusters.items() if ids}
    order = sorted(members, key=lambda cid: (-len(members[cid]), cid))
    renumber = {cid: n for n, cid in enumerate(order, start=1)}
    lines = [f"# Clusters of {path.name}", "", f"{len(records)} items in {len(order)} clusters.", ""]
    for cid in order:
        ids = members[cid]
        picks = representatives(matrix[ids], k=QUOTES)
        lines += [f"## {renumber[cid]}. {_title([records[i] for i in ids], matrix[ids])} ({len(ids)})", ""]
        lines += [f"> {' '.join(records[ids[p]]['text'].split())}" + "\n" for p in picks]
    for index, record in enumerate(records):
        result.rows.append({**record, "cluster": renumber[clusterer.cluster_of(index)]})
    result.report, result.clusters = "\n".join(lines).rstrip() + "\n", len(order)
    return result


def _title(records: list[dict[str, Any]], vectors: np.ndarray) -> str:
    """The cluster's title in the language most of its lines are in (``classifiers.titles``)."""
    from collections import Counter

    from classifiers.titles import fallback_language, key_sentence, shared_words, title_sources

    languages = [r.get("language") if isinstance(r.get("language"), str) else None for r in records]
    sources = title_sources(vectors, languages)
    counts = Counter(language or "und" for language in languages)
    row = sources[fallback_language({language: counts[language] for language in sources}) or "und"]
    others = [r["text"] for i, r in enumerate(records) if i != row]
    text = records[row]["text"]
    return key_sentence(text, shared_words(others)) or " ".join(text.split())[:80]
