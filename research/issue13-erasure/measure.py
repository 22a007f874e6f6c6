"""How long an erasure and a retention run take on a database of realistic size, on SQLite and PostgreSQL.

    PYTHONPATH=$PWD .venv/bin/python research/issue13-erasure/measure.py [--items 20000] [--author-items 500]

Writes ``--items`` processed items (each with a board ticket and nearest-example evidence from a
trained model version, which makes the evidence scan as long as it can be), ``--author-items`` of
them by one author (a tenth of those corrected by a manager, so they are training examples),
and a digest draft; then times ``erase_author``, and a retention run over half of the items
one transaction at a time (as the worker's sweep runs it).
A temporary SQLite file and a temporary PostgreSQL database are created and removed.
"""

import argparse
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from classifiers.heads import ExampleBank, HeadSet, LinearHead
from feedback_router import model_versions
from feedback_router.config import Settings
from feedback_router.db import get_engine, session_scope, utcnow
from feedback_router.digests.models import Digest
from feedback_router.erasure.service import anonymise_older, erase_author
from feedback_router.feedback.models import Feedback, FeedbackLabel
from feedback_router.migrate import upgrade
from feedback_router.tickets.models import Ticket


def fill(url: str, items: int, author_items: int) -> None:
    texts = [f"The export crashes on page {n} when I press save, report {n}" for n in range(items)]
    examples = [*texts[:author_items:10], "a seed"]
    bank = ExampleBank(examples, ["bug_report"] * len(examples), np.eye(len(examples), 8, dtype=np.float32))
    heads = HeadSet(
        "m", {"kind": LinearHead(["a", "b"], np.zeros((2, 8)), np.zeros(2))}, {"kind": bank}, "v1"
    )
    old = utcnow() - timedelta(days=400)
    with session_scope(url) as session:
        model_versions.activate_new(
            session=session, version="v1", embedding_model="m", heads=heads.to_bytes(), info={}
        )
        rows = []
        for n, body in enumerate(texts):
            ours = n < author_items
            rows.append(
                Feedback(
                    text=body,
                    source="forum",
                    author_handle="anna" if ours else f"member{n}",
                    author_display_name="Anna Example" if ours else None,
                    received_at=old if n % 2 == 0 else utcnow(),
                    status="processed",
                    kind="bug_report",
                    team="product",
                    model_version="v1",
                    kind_evidence=[
                        {"text": texts[(n * 7) % author_items], "label": "bug_report", "similarity": 0.5}
                    ],
                    meta={"community": "forum-en"},
                )
            )
        session.add_all(rows)
        session.flush()
        session.add_all(
            Ticket(feedback_id=r.id, sink="board", destination="board", team="product", title=r.text[:80],
                   body=f"> {r.text}\n\nAuthor: {r.author_handle}")
            for r in rows
        )  # fmt: skip
        session.add_all(
            FeedbackLabel(feedback_id=r.id, task="kind", value="bug_report") for r in rows[:author_items:10]
        )
        session.add(
            Digest(language="en", period_start=old, period_end=utcnow(), title="You said", status="draft",
                   markdown="\n".join(f"> {t} — Anna Example" for t in texts[:5]), sections={})
        )  # fmt: skip


def measure(url: str, items: int, author_items: int) -> None:
    upgrade(url)
    fill(url, items, author_items)
    started = time.perf_counter()
    with session_scope(url) as session:
        erased = erase_author(session=session, handle="anna", source="forum")
    erase_seconds = time.perf_counter() - started
    settings, retained, chunks = Settings(database_url=url), 0, []
    while True:  # one transaction (chunk) at a time, as the sweep runs them, to time each
        started = time.perf_counter()
        done = anonymise_older(settings=settings, days=30, chunks=1).items
        if not done:
            break
        chunks.append(time.perf_counter() - started)
        retained += done
    retention_seconds = sum(chunks)
    backend = url.split(":", 1)[0]
    print(
        f"{backend}: {items} items; erasing {author_items} of them: {erase_seconds:.2f} s {erased.counts()}"
    )
    print(f"{backend}: retention of {retained} items older than 30 days: {retention_seconds:.2f} s "
          f"({retained / retention_seconds:.0f} items/s), {len(chunks)} transactions, "
          f"median {sorted(chunks)[len(chunks) // 2]:.3f} s, longest {max(chunks):.3f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--author-items", type=int, default=500)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'measure.db'}"
        measure(url, args.items, args.author_items)
        get_engine(url).dispose()
    name = f"fr_measure_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = args.postgres_url.rsplit("/", 1)[0] + "/" + name
        measure(url, args.items, args.author_items)
        get_engine(url).dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
