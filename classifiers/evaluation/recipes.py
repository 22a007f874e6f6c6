"""The project's heads for the benchmark suite, one recipe per task.

A recipe averages the class probabilities of a few logistic regressions, each on one view of
the text: an embedding model's vectors, both models' vectors side by side ("cat"), or word and
character n-gram TF-IDF. Every choice in a recipe (views, C, balanced class weights, the
decision threshold, tweet clean-up) was made by cross-validation on the task's training data
only, never on its test split; ``docs/decisions/0002-evaluation-recipes.md`` has the candidates
and their scores. Where a recipe says ``"cv"`` the choice is made again here, on the training data.

What moved which number (test scores, against a plain LR on one model's vectors): C chosen by
cross-validation (banking77 +2 to 3, few-shot +3, CLAP feature +0.1), balanced class weights
(sentiment +3 to 4, GermEval +2), a threshold chosen by cross-validation (offensive, GermEval),
the two models together (banking77 +1, sentiment +2, offensive +2), tweet clean-up (+1.4 to 2.2)
and TF-IDF next to the embeddings (GermEval +3, offensive +2).
"""

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline, make_union

View = Literal["minilm", "use", "cat", "tfidf", "nbtfidf"]
TEXT_VIEWS = ("tfidf", "nbtfidf")  # views that read the texts themselves
VIEW_MODELS: dict[str, str] = {"minilm": "all-MiniLM-L6-v2", "use": "use-multilingual"}
Metric = Callable[[Sequence[Hashable], Sequence[Hashable]], float]
Features = dict[str, np.ndarray]  # view name -> rows (vectors, or texts for "tfidf")

SELECTION_FOLDS = 4
SELECTION_SEED = 0
THRESHOLDS = np.round(np.linspace(0.05, 0.95, 91), 2)


@dataclass(frozen=True)
class Base:
    """One logistic regression of a recipe.

    Args:
        view: which features it reads.
        C: inverse regularisation; a tuple is a grid, chosen by cross-validation on the training data.
        balanced: weigh classes inversely to their frequency.
    """

    view: View
    C: float | tuple[float, ...]
    balanced: bool = False


@dataclass(frozen=True)
class Recipe:
    """How a task's head is built; ``positive`` and ``threshold`` only for binary tasks.

    Args:
        bases: the regressions whose probabilities are averaged.
        cleaned: the views that read tweets cleaned up (see ``clean_tweet``); the others read them raw.
        language: the language of the emoji names when cleaning up.
        positive: the positive label of a binary task.
        threshold: predict positive when its mean probability reaches this; "cv" chooses it by
            cross-validation on the training data; None predicts the most probable class.
    """

    bases: tuple[Base, ...]
    cleaned: tuple[View, ...] = ()
    language: str = "en"
    positive: Hashable | None = None
    threshold: float | Literal["cv"] | None = None

    @property
    def views(self) -> set[str]:
        return {base.view for base in self.bases}

    @property
    def embedding_views(self) -> list[str]:
        """The models' views it reads: "cat" reads both."""
        views = {"minilm", "use"} if "cat" in self.views else self.views
        return sorted(view for view in views if view in VIEW_MODELS)

    def describe(self) -> str:
        parts = []
        for base in self.bases:
            c = "C by CV" if isinstance(base.C, tuple) else f"C={base.C:g}"
            parts.append(f"LR({base.view}, {c}{', balanced' if base.balanced else ''})")
        text = "mean of " + " + ".join(parts) if len(parts) > 1 else parts[0]
        if self.cleaned:
            text += f", tweets cleaned up for {'/'.join(self.cleaned)}"
        if self.threshold is not None:
            text += ", threshold by CV" if self.threshold == "cv" else f", threshold {self.threshold}"
        return text


RECIPES: dict[str, Recipe] = {
    "banking77-full": Recipe(bases=(Base("cat", 10),)),
    "banking77-fewshot": Recipe(bases=(Base("minilm", (1, 3, 10, 30, 100)),)),
    "clap-bug": Recipe(bases=(Base("cat", 10, True), Base("tfidf", 3, True)), positive=True),
    "clap-feature": Recipe(
        bases=(Base("use", 10, True), Base("tfidf", 3, True)), positive=True, threshold="cv"
    ),
    "tweeteval-sentiment": Recipe(
        bases=(Base("minilm", 1, True), Base("use", 1, True)), cleaned=("minilm", "use")
    ),
    "tweeteval-offensive": Recipe(
        bases=(Base("minilm", 1), Base("use", 10), Base("nbtfidf", 3)),
        cleaned=("nbtfidf",),
        positive="offensive",
        threshold="cv",
    ),
    "germeval-coarse": Recipe(
        bases=(Base("use", 1, True), Base("tfidf", 3, True)),
        cleaned=("use", "tfidf"),
        language="de",
        positive="OFFENSE",
    ),
}

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_MENTION_RUN = re.compile(r"@user(\s+@user)+")
_HASHTAG = re.compile(r"#(\w+)")


def _split_hashtag(match: re.Match[str]) -> str:
    word = re.sub(r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])", " ", match.group(1))
    word = re.sub(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])", " ", word)
    return word.replace("_", " ")


def clean_tweet(text: str, language: str = "en") -> str:
    """Tweets as the encoders read best: one @user for a run of mentions, URLs as "http",
    hashtags split into words (#NeverAgain → Never Again), emoji as their names."""
    import emoji

    if language != "en":
        emoji.config.load_language(language)  # emoji loads names other than English on demand
    text = _URL.sub("http", text)
    text = _MENTION_RUN.sub("@user", _MENTION.sub("@user", text))
    text = _HASHTAG.sub(_split_hashtag, text)

    def name(char: str, data: dict[str, str]) -> str:
        return " " + data.get(language, data["en"]).strip(":").replace("_", " ") + " "

    text = emoji.replace_emoji(text, replace=name)
    return " ".join(text.split())


class NBWeight(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """NB-SVM's scaling (Wang & Manning 2012): each n-gram weighted by how much more often it
    occurs in the positive class, ``log((p/|p|) / (q/|q|))`` with add-one counts."""

    def __init__(self, positive: Hashable = True) -> None:
        self.positive = positive

    def fit(self, X: Any, y: np.ndarray) -> "NBWeight":
        X = sparse.csr_matrix(X)
        positive = np.asarray(y) == self.positive
        p = 1 + np.asarray(X[positive].sum(axis=0)).ravel()
        q = 1 + np.asarray(X[~positive].sum(axis=0)).ravel()
        self.ratio_ = np.log((p / p.sum()) / (q / q.sum()))
        return self

    def transform(self, X: Any) -> Any:
        return sparse.csr_matrix(X).multiply(self.ratio_).tocsr()


def _regression(base: Base, C: float, positive: Hashable | None) -> Any:
    weights = "balanced" if base.balanced else None
    regression = LogisticRegression(C=C, class_weight=weights, max_iter=2000)
    if base.view not in TEXT_VIEWS:
        return regression
    ngrams = make_union(
        TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True, binary=base.view == "nbtfidf"
        ),
        TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=200_000
        ),
    )
    if base.view == "nbtfidf":
        return make_pipeline(ngrams, NBWeight(positive), regression)
    return make_pipeline(ngrams, regression)


def _folds(labels: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = StratifiedKFold(n_splits=SELECTION_FOLDS, shuffle=True, random_state=SELECTION_SEED)
    return list(splitter.split(np.zeros(len(labels)), labels))


class RecipeHead:
    """A recipe fitted on training features; ``metric`` scores the choices made by cross-validation."""

    def __init__(self, recipe: Recipe, metric: Metric) -> None:
        self.recipe = recipe
        self.metric = metric
        self.models: list[tuple[Base, Any]] = []
        self.classes: np.ndarray = np.array([])
        self.threshold: float | None = None
        self.chosen: dict[str, Any] = {}

    def _fit_bases(self, features: Features, labels: np.ndarray) -> list[tuple[Base, Any]]:
        fitted = []
        for base in self.recipe.bases:
            C = self._choose_c(base, features[base.view], labels) if isinstance(base.C, tuple) else base.C
            fitted.append((base, _regression(base, C, self.recipe.positive).fit(features[base.view], labels)))
        return fitted

    def _choose_c(self, base: Base, rows: np.ndarray, labels: np.ndarray) -> float:
        assert isinstance(base.C, tuple)
        scores = {}
        for C in base.C:
            fold_scores = []
            for train, held_out in _folds(labels):
                model = _regression(base, C, self.recipe.positive).fit(rows[train], labels[train])
                fold_scores.append(self.metric(list(labels[held_out]), list(model.predict(rows[held_out]))))
            scores[C] = float(np.mean(fold_scores))
        best = max(base.C, key=lambda c: scores[c])
        self.chosen[f"C {base.view}"] = best
        return best

    @staticmethod
    def _probabilities(models: list[tuple[Base, Any]], features: Features) -> np.ndarray:
        return np.mean([model.predict_proba(features[base.view]) for base, model in models], axis=0)

    def _choose_threshold(self, features: Features, labels: np.ndarray) -> float:
        """The threshold that scores best on out-of-fold probabilities of the training data."""
        positive = np.zeros(len(labels))
        for train, held_out in _folds(labels):
            models = self._fit_bases({v: rows[train] for v, rows in features.items()}, labels[train])
            column = list(models[0][1].classes_).index(self.recipe.positive)
            held = {v: rows[held_out] for v, rows in features.items()}
            positive[held_out] = self._probabilities(models, held)[:, column]
        scores = [self.metric(list(labels), list(self._decide(positive, t, labels))) for t in THRESHOLDS]
        return float(THRESHOLDS[int(np.argmax(scores))])

    def _decide(self, positive: np.ndarray, threshold: float, labels: np.ndarray) -> np.ndarray:
        other = next(label for label in np.unique(labels) if label != self.recipe.positive)
        return np.where(positive >= threshold, cast(Any, self.recipe.positive), other)

    def fit(self, features: Features, labels: Sequence[Hashable]) -> "RecipeHead":
        y = np.asarray(list(labels))  # bools stay bools, strings strings: what scikit-learn expects
        self.classes = np.unique(y)
        self.chosen = {}
        threshold = self.recipe.threshold
        self.threshold = self._choose_threshold(features, y) if threshold == "cv" else threshold
        if threshold == "cv":
            self.chosen["threshold"] = self.threshold
        self.models = self._fit_bases(features, y)
        return self

    def predict(self, features: Features) -> np.ndarray:
        probabilities = self._probabilities(self.models, features)
        classes = self.models[0][1].classes_
        if self.threshold is None:
            return classes[probabilities.argmax(axis=1)]
        column = list(classes).index(self.recipe.positive)
        return self._decide(probabilities[:, column], self.threshold, self.classes)
