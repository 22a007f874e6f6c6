"""How a community teaches the shipped model: its heads adapted to the community's corrections.

``adapt`` refits each head on a community's corrections while holding it near the shipped
weights: it minimises the log-loss on the corrections plus ``strength / 2 * ||W - W_base||^2``.
Retraining from scratch on seeds plus corrections would throw away what the shipped heads learnt
from data that does not ship with the package; the anchor keeps it, and the corrections move the
heads only where they say something.

The strength was chosen with ``research/issue14-curve/choose.py`` on the learning curve's pool
split (NLBSE'24 train), never on the split ``feedback-router eval --task learning-curve`` scores.
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import optimize

from classifiers.heads import ExampleBank, HeadSet, LinearHead, NgramHead

Embed = Callable[[list[str]], np.ndarray]

# How strongly a head is held at its shipped weights, against a loss summed over the corrections.
STRENGTH = 0.3


def fit_anchored(
    head: LinearHead, features: Any, labels: Sequence[str], strength: float = STRENGTH
) -> LinearHead:
    """The head refit on labelled features, held near its own weights and intercepts.

    Minimises the summed log-loss plus ``strength / 2`` times the squared distance to the base
    weights and intercepts. Labels the head does not know get a class of their own, starting (and
    anchored) at zero weights and the head's lowest intercept: rare until corrections say otherwise.
    """
    classes = list(head.classes) + sorted(set(labels) - set(head.classes))
    new = len(classes) - len(head.classes)
    coef0 = np.vstack([head.coef, np.zeros((new, head.coef.shape[1]))]).astype(np.float64)
    intercept0 = np.concatenate([head.intercept, np.full(new, head.intercept.min())]).astype(np.float64)
    # Only the columns the corrections use can move (sparse n-grams: a few hundred of many thousand);
    # the others' gradient is their drift alone, so they stay at the base weights anyway.
    columns = np.unique(features.indices) if hasattr(features, "indices") else np.arange(coef0.shape[1])
    used = features[:, columns]
    shape = (len(classes), len(columns))
    anchor = np.concatenate([coef0[:, columns].ravel(), intercept0])
    targets = np.zeros((len(labels), len(classes)))
    targets[np.arange(len(labels)), [classes.index(label) for label in labels]] = 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, intercept = theta[: -len(classes)].reshape(shape), theta[-len(classes) :]
        logits = np.asarray(used @ coef.T) + intercept
        if head.mode == "ovr":  # independent binary log-losses
            value = np.sum(np.logaddexp(0.0, logits) - targets * logits)
            probabilities = 1.0 / (1.0 + np.exp(-logits))
        else:
            top = logits.max(axis=1, keepdims=True)
            log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
            value = np.sum(log_norm - np.sum(targets * logits, axis=1))
            probabilities = np.exp(logits - log_norm[:, None])
        residual = probabilities - targets
        drift = theta - anchor
        gradient = np.concatenate([np.asarray(used.T @ residual).T.ravel(), residual.sum(axis=0)])
        return value + strength / 2 * drift @ drift, gradient + strength * drift

    found = optimize.minimize(loss, anchor, jac=True, method="L-BFGS-B", options={"maxiter": 500}).x
    coef0[:, columns] = found[: -len(classes)].reshape(shape)
    # replace(): whatever else a head carries (its mode, any calibration) stays the base's
    return replace(
        head,
        classes=classes,
        coef=coef0.astype(np.float32),
        intercept=found[-len(classes) :].astype(np.float32),
    )


def adapt(
    base: HeadSet,
    corrections: dict[str, list[tuple[str, str]]],
    embed: Embed,
    strength: float = STRENGTH,
    on_task: Callable[[str, int], None] = lambda task, count: None,
) -> HeadSet:
    """The base heads adapted to a community's corrections, per task that has a base head.

    Tasks without corrections keep their base head as it is; the corrections join the task's
    example bank (a correction's label wins for a text the bank holds), so they show as evidence.
    The version is a digest of the base version, the corrections (of every task) and the strength.

    Args:
        base: the shipped model version (``FeedbackLabeler.base_heads()``).
        corrections: per task, (text, label) pairs a community's people gave.
        embed: turns texts into L2-normalised vectors of ``base.embedding_model``.
        strength: how strongly each head is held at its base weights (``STRENGTH``).
        on_task: progress callback, called with each task and its correction count.
    """
    heads, banks, ngrams = dict(base.heads), dict(base.banks), dict(base.ngrams)
    digest = hashlib.sha256(f"{base.version}\0{strength!r}".encode())
    for task in sorted(corrections):
        pairs = list(dict(corrections[task]).items())  # a later label wins for one text
        digest.update(json.dumps([task, pairs], ensure_ascii=False).encode())
        if task not in base.heads or not pairs:
            continue
        on_task(task, len(pairs))
        texts, labels = [t for t, _ in pairs], [label for _, label in pairs]
        vectors = np.asarray(embed(texts), dtype=np.float32)
        heads[task] = fit_anchored(base.heads[task], vectors, labels, strength)
        if task in base.ngrams:
            ngram = base.ngrams[task]
            ngrams[task] = NgramHead(
                ngram.view,
                fit_anchored(ngram.head, ngram.view.transform(texts), labels, strength),
            )
        banks[task] = _with_corrections(base.banks[task], texts, labels, vectors)
    info = {
        **base.info,
        "base_version": base.version,
        "corrections": {t: len(p) for t, p in corrections.items()},
    }
    # replace(): whatever else a model version carries stays the base's
    return replace(base, heads=heads, banks=banks, version=digest.hexdigest()[:12], info=info, ngrams=ngrams)


def _with_corrections(
    bank: ExampleBank, texts: list[str], labels: list[str], vectors: np.ndarray
) -> ExampleBank:
    corrected = set(texts)
    kept = [i for i, text in enumerate(bank.texts) if text not in corrected]
    return ExampleBank(
        [bank.texts[i] for i in kept] + texts,
        [bank.labels[i] for i in kept] + labels,
        np.vstack([bank.vectors[kept].astype(np.float16), vectors.astype(np.float16)]),
    )
