"""The clustering protocols of the suite.

``banking77-clustering``: the test split's questions arrive one by one, in file order, through
``OnlineClusterer.add``; every ``RECLUSTER_EVERY`` items, and after the last, the clusters are
re-clustered, as the service does periodically. The result is compared with k-means given the
true number of intents, on the same embeddings. The same stream in shuffled orders is reported
beside it.

``clustering-cross-language``: our German/English reports (``classifiers/data/
cross_language_reports.jsonl``) are added in file order and re-clustered once; a problem counts
when the cluster holding most of its English reports also holds most of its German ones.
"""

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, v_measure_score

from classifiers.clustering import OnlineClusterer, ReclusterResult

RECLUSTER_EVERY = 250
TITLE_TASKS = ("banking77-cluster-titles", "cluster-titles-cross-language")
SHUFFLE_SEEDS = (0, 1, 2)
V_SHARE = 0.95  # our V-measure must reach this share of k-means'
ARI_SHARE = 0.90  # and our adjusted Rand index this share
KMEANS_SEED = 0


def schedule(size: int, every: int) -> list[int]:
    """After how many items to re-cluster: every ``every``, the last pass after the last item.

    The last pass takes the tail too (3,080 items: 500, 1000, ..., 2500, 3080), so that no pass
    sees only a handful of new items and looks more stable than a real one.
    """
    if size <= 0:
        return []
    return [*range(every, size - every + 1, every), size]


@dataclass
class StreamRun:
    """The items' final cluster ids, the ids they were first given, and each re-clustering."""

    labels: np.ndarray
    first: np.ndarray
    passes: list[ReclusterResult]
    seconds: float


def stream(
    vectors: np.ndarray, *, threshold: float, margin: float, every: int = RECLUSTER_EVERY
) -> StreamRun:
    """Add the vectors in order, re-clustering on ``schedule``."""
    started = time.perf_counter()
    clusterer = OnlineClusterer(threshold=threshold, margin=margin)
    when = set(schedule(len(vectors), every))
    first, passes = [], []
    for item, vector in enumerate(vectors):
        cluster, _, _ = clusterer.add(item, vector)
        first.append(cluster)
        if item + 1 in when:
            passes.append(clusterer.recluster())
    return StreamRun(np.asarray(clusterer.labels), np.asarray(first), passes, time.perf_counter() - started)


def _quality(gold: Sequence[str], predicted: Sequence[int]) -> dict[str, float]:
    return {
        "v_measure": round(float(v_measure_score(gold, predicted)), 4),
        "ari": round(float(adjusted_rand_score(gold, predicted)), 4),
        "clusters": len(set(predicted)),
    }


def _stream_details(run: StreamRun, gold: Sequence[str]) -> dict[str, Any]:
    sizes = np.bincount(np.unique(run.labels, return_inverse=True)[1])
    last = run.passes[-1]
    return {
        **_quality(gold, list(run.labels)),
        "clusters_of_3_or_more": int(np.sum(sizes >= 3)),
        "singletons": int(np.sum(sizes == 1)),
        "stability_last_pass": round(last.stability, 4),
        "stability_per_pass": [round(p.stability, 4) for p in run.passes],
        "moved_per_pass": [p.moved for p in run.passes],
        "merges_per_pass": [p.merges for p in run.passes],
        "splits_per_pass": [p.splits for p in run.passes],
        "kept_first_id": round(float(np.mean(run.labels == run.first)), 4),
        "seconds": round(run.seconds, 2),
    }


def _ratio(ours: float, reference: float) -> float:
    """Ours over k-means'; where k-means scored nothing, 1 when we did at least as well."""
    if reference > 0:
        return ours / reference
    return 1.0 if ours >= reference else 0.0


def banking77(
    vectors: np.ndarray, gold: Sequence[str], *, threshold: float, margin: float, every: int = RECLUSTER_EVERY
) -> tuple[float, dict[str, Any]]:
    """The score ``min(V ratio / 0.95, ARI ratio / 0.9)`` (both bars hold when it is at least 1)
    and the details: ours in file order, in shuffled orders, with one pass only, and k-means."""
    started = time.perf_counter()
    kmeans = KMeans(n_clusters=len(set(gold)), n_init=10, random_state=KMEANS_SEED).fit_predict(vectors)
    reference = _quality(gold, list(kmeans))
    kmeans_seconds = time.perf_counter() - started

    run = stream(vectors, threshold=threshold, margin=margin, every=every)
    ours = _stream_details(run, gold)
    # The service's schedule against the simplest one: online only, then one pass at the end.
    once = stream(vectors, threshold=threshold, margin=margin, every=len(vectors))
    one_pass = {
        "online_only": _quality(gold, list(once.first)),
        "after_the_pass": _quality(gold, list(once.labels)),
        "stability": round(once.passes[-1].stability, 4),
    }
    v_ratio = _ratio(ours["v_measure"], reference["v_measure"])
    ari_ratio = _ratio(ours["ari"], reference["ari"])
    score = min(v_ratio / V_SHARE, ari_ratio / ARI_SHARE)

    shuffled = []
    for seed in SHUFFLE_SEEDS:
        order = np.random.default_rng(seed).permutation(len(vectors))
        shuffled_run = stream(vectors[order], threshold=threshold, margin=margin, every=every)
        shuffled.append(_stream_details(shuffled_run, [gold[i] for i in order]))

    def mean(key: str) -> float:
        return round(float(np.mean([s[key] for s in shuffled])), 4)

    return score, {
        "items": len(gold),
        "true_clusters": len(set(gold)),
        "threshold": threshold,
        "margin": margin,
        "recluster_every": every,
        "recluster_after": schedule(len(gold), every),
        "ours": ours,
        "one_pass_at_the_end": one_pass,
        "kmeans": {**reference, "seconds": round(kmeans_seconds, 2)},
        "v_ratio": round(v_ratio, 4),
        "ari_ratio": round(ari_ratio, 4),
        "v_bar_met": v_ratio >= V_SHARE,
        "ari_bar_met": ari_ratio >= ARI_SHARE,
        "shuffled": {
            "seeds": list(SHUFFLE_SEEDS),
            "v_measure": mean("v_measure"),
            "ari": mean("ari"),
            "clusters": mean("clusters"),
            "stability_last_pass": mean("stability_last_pass"),
            "kept_first_id": mean("kept_first_id"),
            "v_ratio": round(_ratio(mean("v_measure"), reference["v_measure"]), 4),
            "ari_ratio": round(_ratio(mean("ari"), reference["ari"]), 4),
            "per_seed": shuffled,
        },
    }


def cross_language(
    vectors: np.ndarray,
    problems: Sequence[str],
    languages: Sequence[str],
    *,
    threshold: float,
    margin: float,
) -> tuple[float, dict[str, Any]]:
    """The share of problems whose English and German reports end in one cluster, and details."""
    clusterer = OnlineClusterer(threshold=threshold, margin=margin)
    for item, vector in enumerate(vectors):
        clusterer.add(item, vector)
    result = clusterer.recluster()
    labels = np.asarray(result.labels)
    per_problem: dict[str, dict[str, Any]] = {}
    for problem in dict.fromkeys(problems):
        rows = [i for i, p in enumerate(problems) if p == problem]

        def majority(language: str, rows: list[int] = rows) -> int:
            counts = Counter(int(labels[i]) for i in rows if languages[i] == language)
            return counts.most_common(1)[0][0]

        per_problem[problem] = {
            "together": majority("en") == majority("de"),
            "all_in_one_cluster": len({int(labels[i]) for i in rows}) == 1,
            "clusters": sorted({int(labels[i]) for i in rows}),
        }
    together = [bool(p["together"]) for p in per_problem.values()]
    return float(np.mean(together)), {
        "problems": len(per_problem),
        "reports": len(problems),
        "threshold": threshold,
        "margin": margin,
        "all_in_one_cluster": round(
            float(np.mean([p["all_in_one_cluster"] for p in per_problem.values()])), 4
        ),
        **_quality(list(problems), list(labels)),
        "per_problem": per_problem,
    }


def describe(task: str, details: dict[str, Any]) -> str:
    """One line for the report's table: the settings and the figures behind the score."""
    if task in TITLE_TASKS:
        before, kept = details["key_phrase_titles_before"], details["kept_across_reclustering"]
        return (
            f"{details['titles']} titles of {details['titled_clusters']} clusters of {TITLED_SIZE}+ "
            f"(a random report: {details['random_report_from_majority']:.2f}, the first: "
            f"{details['first_report_from_majority']:.2f}); "
            f"{details['readable']:.0%} readable (short {details['short']:.0%}, one language "
            f"{details['one_language']:.0%}, phrase {details['phrase']:.0%}), kept across re-clustering "
            f"{'—' if kept is None else f'{kept:.0%}'}; key-phrase titles before: "
            f"{before['readable']:.0%} readable, {before['keyword_list']:.0%} keyword lists"
        )
    if task == "clustering-cross-language":
        together = sum(p["together"] for p in details["per_problem"].values())
        return (
            f"online + one re-clustering, threshold {details['threshold']:.2f}: "
            f"{details['reports']} reports in {details['clusters']} clusters, EN + DE together for "
            f"{together} of {details['problems']} problems, all six together "
            f"{details['all_in_one_cluster']:.0%}"
        )
    ours, kmeans, shuffled = details["ours"], details["kmeans"], details["shuffled"]
    return (
        f"online + re-clustering every {details['recluster_every']}, threshold "
        f"{details['threshold']:.2f}: V {ours['v_measure']:.3f} (k-means {kmeans['v_measure']:.3f}), "
        f"ARI {ours['ari']:.3f} ({kmeans['ari']:.3f}), {ours['clusters']} clusters, "
        f"{ours['stability_last_pass']:.1%} kept their id in the last re-clustering; "
        f"shuffled V {shuffled['v_measure']:.3f}, ARI {shuffled['ari']:.3f}"
    )


# --- titles ----------------------------------------------------------------------------------------

TITLED_SIZE = 3  # clusters this big are titled and measured: the size at which one gets its own ticket


def keyword_list(title: str) -> bool:
    """Whether a title reads as a list of keywords: three or more comma-separated pieces of at most
    two words each ("acquisition, anymore, app gestern, app takes")."""
    pieces = [piece.split() for piece in title.split(",")]
    return len(pieces) >= 3 and all(len(words) <= 2 for words in pieces)


def readable(title: str, language: str) -> dict[str, bool]:
    """The readability checks of one title: at most 80 characters without a word cut, one language
    (``language``, as the detector sees it; a title it cannot place counts), a sentence or noun
    phrase (two words or more, no keyword list)."""
    from classifiers.language import UNDETERMINED, detect_language
    from classifiers.titles import TITLE_LENGTH

    detected = detect_language(title).code
    checks = {
        "short": 0 < len(title) <= TITLE_LENGTH,
        "one_language": language == UNDETERMINED or detected in (language, UNDETERMINED),
        "phrase": len(title.split()) >= 2 and not keyword_list(title),
    }
    return {**checks, "readable": all(checks.values())}


def _titles(
    texts: Sequence[str], vectors: np.ndarray, languages: Sequence[str], members: list[int], current: dict
) -> dict[str, tuple[int, str]]:
    """Per language, (row, title) of a cluster, as the service titles it (without its redaction)."""
    from classifiers.titles import key_sentence, shared_words, title_sources

    now = {lang: members.index(row) for lang, row in current.items() if row in members}
    chosen = title_sources(vectors[members], [languages[i] for i in members], now)
    titles = {}
    for language, index in chosen.items():
        row = members[index]
        others = [texts[i] for i in members if languages[i] == language and i != row]
        titles[language] = (row, key_sentence(texts[row], shared_words(others)))
    return titles


def titles(
    vectors: np.ndarray,
    texts: Sequence[str],
    gold: Sequence[str],
    languages: Sequence[str] | None,
    *,
    threshold: float,
    margin: float,
    every: int = RECLUSTER_EVERY,
) -> tuple[float, dict[str, Any]]:
    """How well clusters are titled: the share of titles (one per cluster of ``TITLED_SIZE`` or more
    and language of its reports) taken from a report of the cluster's majority true group, and the
    details: readability, stability across re-clustering, and the key-phrase titles the service
    used before, checked the same way.

    The items stream through the online clusterer re-clustered on ``schedule`` (as ``stream``);
    after each re-clustering every cluster is titled with its titles from the pass before as the
    current ones, as the service keeps them.
    """
    from classifiers.clustering import key_phrases

    langs = list(languages) if languages else ["en"] * len(texts)
    clusterer = OnlineClusterer(threshold=threshold, margin=margin)
    when = set(schedule(len(vectors), every))
    named: dict[int, dict[str, tuple[int, str]]] = {}
    kept = changed = 0
    for item, vector in enumerate(vectors):
        clusterer.add(item, vector)
        if item + 1 not in when:
            continue
        clusterer.recluster()
        before, named = named, {}
        for cluster, rows in clusterer.clusters.items():
            members = [cast(int, r) for r in rows]  # the items added are row numbers
            if len(members) < TITLED_SIZE:
                continue
            current = {lang: row for lang, (row, _) in before.get(cluster, {}).items()}
            named[cluster] = _titles(texts, vectors, langs, members, current)
            for lang, (row, _) in named[cluster].items():
                if lang in current:
                    kept, changed = kept + (row == current[lang]), changed + (row != current[lang])
    final = clusterer.clusters
    rows_of = {cluster: [cast(int, r) for r in final[cluster]] for cluster in named}
    outcomes, purity, first = [], [], []
    for cluster, per_language in named.items():
        majority = Counter(gold[i] for i in rows_of[cluster]).most_common(1)[0][0]
        # What a title would score taken from a random report, and from the first one (as before)
        purity.append(float(np.mean([gold[i] == majority for i in rows_of[cluster]])))
        first.append(gold[rows_of[cluster][0]] == majority)
        for language, (row, title) in per_language.items():
            outcomes.append(
                {
                    "cluster": cluster,
                    "language": language,
                    "title": title,
                    "from_majority": gold[row] == majority,
                }
                | readable(title, language)
            )
    order = sorted(named)
    phrases = key_phrases([[texts[i] for i in rows_of[c]] for c in order], k=4)
    before_titles = [", ".join(p) for p in phrases]
    old = [readable(t, "und") | {"keyword_list": keyword_list(t)} for t in before_titles]

    def share(key: str, rows: list[dict[str, Any]] = outcomes) -> float:
        return round(float(np.mean([r[key] for r in rows])), 4) if rows else 0.0

    score = share("from_majority")
    return score, {
        "items": len(texts),
        "threshold": threshold,
        "titled_clusters": len(named),
        "titles": len(outcomes),
        "from_majority_group": score,
        "random_report_from_majority": round(float(np.mean(purity)), 4) if purity else 0.0,
        "first_report_from_majority": round(float(np.mean(first)), 4) if first else 0.0,
        "readable": share("readable"),
        "short": share("short"),
        "one_language": share("one_language"),
        "phrase": share("phrase"),
        "kept_across_reclustering": round(kept / (kept + changed), 4) if kept + changed else None,
        "key_phrase_titles_before": {
            "readable": share("readable", old),
            "keyword_list": share("keyword_list", old),
            "examples": before_titles[:5],
        },
        "examples": [f"{o['language']}: {o['title']}" for o in outcomes[:12]],
    }
