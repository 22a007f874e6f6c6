"""Which language a piece of feedback is written in.

Backed by ``py3langid`` (BSD-3-Clause, a maintained fork of langid.py): a naive Bayes model over
byte n-grams whose 4.6 MB model ships inside the wheel, so nothing is downloaded at run time.
It loads in under a second, needs about 100 MB of memory and labels a text in about 0.06 ms.
(lingua-language-detector was measured too: no more accurate on our German and English test
sentences, but a 96 MB wheel, 400+ MB of memory for 21 languages and 0.7 ms a text.)

Short texts are where language identification goes wrong ("super Update", "Login kaputt"), so
three things are layered on top of the raw model:

- the model only chooses among ``languages`` (23 common European and world languages by
  default), not among all 140 it knows, which removes most exotic mistakes on short texts;
- the community's own languages (``preferred``, English and German by default) get a prior
  weight: the model's probabilities are multiplied by it and normalised again (Bayes' rule with a
  non-uniform prior), so a short text that is about as likely German as Dutch becomes German;
- URLs, e-mail addresses, @mentions, #hashtags, numbers and emoji are removed first; what is
  left needs ``min_letters`` letters and the winner ``min_confidence``, or the answer is ``und``
  (undetermined, ISO 639-2) with confidence 0.0: "ok", "👍" and a bare URL are not a language.
"""

import functools
import re
import unicodedata
from typing import Any, NamedTuple

from haystack import Document, component

UNDETERMINED = "und"

# Common European and world languages. Norwegian and Finnish are left out on purpose: on
# two-word German texts ("Login kaputt") they win often enough to cost German its answer.
DEFAULT_LANGUAGES = (
    "en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "cs", "hu", "ro",
    "tr", "el", "ru", "uk", "ar", "he", "hi", "ja", "ko", "zh",
)  # fmt: skip
DEFAULT_PREFERRED = ("en", "de")

_NOISE = re.compile(
    r"""
    https?://\S+ | www\.\S+              # URLs
    | [\w.+-]+@[\w-]+\.[\w.-]+           # e-mail addresses
    | [@#][\w-]+                         # mentions, hashtags
    | \b[vV]?\d[\d.,:/-]*\b              # numbers, versions, dates
    """,
    re.VERBOSE,
)


def _strip_symbols(text: str) -> str:
    """Emoji and other symbols (Unicode categories S* and C*) say nothing about the language."""
    return "".join(" " if unicodedata.category(ch)[0] in "SC" and ch not in "\n\t" else ch for ch in text)


class LanguageGuess(NamedTuple):
    """An ISO 639-1 code (or ``und``) and the confidence in it, 0..1."""

    code: str
    confidence: float


@functools.lru_cache(maxsize=4)
def _load_model(languages: tuple[str, ...]) -> Any:
    """The py3langid model restricted to ``languages``; loaded once per process and set."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    unknown = sorted(set(languages) - set(model.labels))
    if unknown:
        raise ValueError(f"unknown language code(s) {', '.join(unknown)}; the model knows {model.labels}")
    model.set_languages(list(languages))
    return model


class LanguageIdentifier:
    """Identifies the language of texts, leaning towards the community's own languages.

    Args:
        languages: ISO 639-1 codes the answer may be; ``DEFAULT_LANGUAGES`` when None.
        preferred: codes whose probability is multiplied by ``prior_weight``; they must be in
            ``languages``. ``DEFAULT_PREFERRED`` (en, de) when None; empty for no preference.
        prior_weight: the prior odds of a preferred language against any other one.
        min_confidence: below this the answer is ``und``.
        min_letters: texts with fewer letters (after removing URLs, mentions, numbers and
            emoji) are ``und`` without asking the model.
    """

    def __init__(
        self,
        languages: list[str] | tuple[str, ...] | None = None,
        preferred: list[str] | tuple[str, ...] | None = None,
        prior_weight: float = 5.0,
        min_confidence: float = 0.5,
        min_letters: int = 3,
    ) -> None:
        self.languages = tuple(languages) if languages is not None else DEFAULT_LANGUAGES
        self.preferred = tuple(preferred) if preferred is not None else DEFAULT_PREFERRED
        if not self.languages:
            raise ValueError("languages must not be empty")
        if missing := sorted(set(self.preferred) - set(self.languages)):
            raise ValueError(f"preferred language(s) {', '.join(missing)} are not among languages")
        if prior_weight <= 0:
            raise ValueError("prior_weight must be positive")
        self.prior_weight = prior_weight
        self.min_confidence = min_confidence
        self.min_letters = min_letters
        self._model = _load_model(self.languages)

    def identify(self, text: str) -> LanguageGuess:
        """The language of ``text``, or ``("und", 0.0)`` when it cannot be told."""
        cleaned = _strip_symbols(_NOISE.sub(" ", text))
        if sum(ch.isalpha() for ch in cleaned) < self.min_letters:
            return LanguageGuess(UNDETERMINED, 0.0)
        weighted = {
            code: probability * (self.prior_weight if code in self.preferred else 1.0)
            for code, probability in self._model.rank(cleaned)
        }
        total = sum(weighted.values())
        if total <= 0:
            return LanguageGuess(UNDETERMINED, 0.0)
        code = max(weighted, key=weighted.__getitem__)
        confidence = weighted[code] / total
        if confidence < self.min_confidence:
            return LanguageGuess(UNDETERMINED, 0.0)
        return LanguageGuess(code, round(confidence, 4))


@functools.lru_cache(maxsize=1)
def _default_identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


def detect_language(text: str) -> LanguageGuess:
    """The language of ``text`` with the default settings; see ``LanguageIdentifier``."""
    return _default_identifier().identify(text)


def normalise_code(code: str) -> str:
    """``"DE"``, ``"de-AT"`` and ``"de_AT"`` are all ``"de"``: the primary language subtag."""
    return re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()


@component
class LanguageDetector:
    """Sets ``meta["language"]`` (ISO 639-1 code or ``"und"``) and ``meta["language_confidence"]``.

    A language the user gave in ``meta["language"]`` is kept (reduced to its primary subtag,
    so "de-AT" becomes "de") with confidence 1.0, and ``meta["language_source"]`` says
    which of ``"user"`` or ``"detected"`` it is. Parameters are those of ``LanguageIdentifier``.
    """

    def __init__(
        self,
        languages: list[str] | None = None,
        preferred: list[str] | None = None,
        prior_weight: float = 5.0,
        min_confidence: float = 0.5,
        min_letters: int = 3,
    ) -> None:
        self.languages = languages
        self.preferred = preferred
        self.prior_weight = prior_weight
        self.min_confidence = min_confidence
        self.min_letters = min_letters
        self._identifier: LanguageIdentifier | None = None

    def warm_up(self) -> None:
        if self._identifier is None:
            self._identifier = LanguageIdentifier(
                languages=self.languages,
                preferred=self.preferred,
                prior_weight=self.prior_weight,
                min_confidence=self.min_confidence,
                min_letters=self.min_letters,
            )

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """
        Args:
            documents: the texts; those with a user-given ``meta["language"]`` keep it.

        Returns:
            ``{"documents": documents}``, the same objects with the language in their meta.
        """
        if self._identifier is None:
            raise RuntimeError("LanguageDetector.warm_up() must run before run()")
        for document in documents:
            given = document.meta.get("language")
            if isinstance(given, str) and given.strip():
                document.meta["language"] = normalise_code(given)
                document.meta["language_confidence"] = 1.0
                document.meta["language_source"] = "user"
                continue
            guess = self._identifier.identify(document.content or "")
            document.meta["language"] = guess.code
            document.meta["language_confidence"] = guess.confidence
            document.meta["language_source"] = "detected"
        return {"documents": documents}
