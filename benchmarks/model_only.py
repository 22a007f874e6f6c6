"""The classifier alone: ``python -m benchmarks.model_only FILE.jsonl BATCH_SIZE`` prints one JSON line.

It embeds and labels the texts of FILE with the packaged model, BATCH_SIZE at a time, in this
process, with no database and no queue: the ceiling for the service's processing throughput.
"""

import json
import sys
import time
from pathlib import Path


def main(path: Path, batch_size: int) -> dict[str, float]:
    texts = [
        json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    started = time.perf_counter()
    from classifiers import FeedbackClassifier

    classifier = FeedbackClassifier.from_model(None, batch_size)  # builds and warms up the pipeline
    loaded = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        classifier.classify(texts[start : start + batch_size])
    finished = time.perf_counter()
    embed_s, heads_s = _embedding_and_heads(classifier, texts, batch_size)
    return {
        "items": len(texts),
        "batch_size": batch_size,
        "load_s": round(loaded - started, 2),
        "classify_s": round(finished - loaded, 2),
        "items_per_s": round(len(texts) / (finished - loaded), 1),
        "embed_items_per_s": round(len(texts) / embed_s, 1),
        "heads_share_of_embedding": round(heads_s / embed_s, 4),
    }


def _embedding_and_heads(classifier: object, texts: list[str], batch_size: int) -> tuple[float, float]:
    """Seconds spent by the embedder alone, and by the label heads on its output (the same texts)."""
    from haystack import Document

    embedder = classifier.pipeline.get_component("embedder")  # type: ignore[attr-defined]
    labeler = classifier.pipeline.get_component("labels")  # type: ignore[attr-defined]
    embed_s = heads_s = 0.0
    for start in range(0, len(texts), batch_size):
        batch = [Document(content=text) for text in texts[start : start + batch_size]]
        began = time.perf_counter()
        documents = embedder.run(documents=batch)["documents"]
        embedded = time.perf_counter()
        labeler.run(documents=documents)
        embed_s, heads_s = embed_s + embedded - began, heads_s + time.perf_counter() - embedded
    return embed_s, heads_s


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), int(sys.argv[2]))))
