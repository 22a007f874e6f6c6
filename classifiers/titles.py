"""Cluster titles: what one of its reports says, in the reader's language, never a list of keywords.

Per language, the title comes from the cluster's report in that language nearest the cluster's
centroid (``title_sources``): the most representative one. A title stays while its report stays
among the ``KEEP_AMONG`` most representative of its language (or ``KEEP_SHARE`` of them), so a
re-clustering that leaves the content as it was leaves the title too; a report that belonged
elsewhere (a wrong first post) drops out of the top as the cluster fills with its real problem.

Of that report, the title is its key sentence (``key_sentence``): the sentence that shares most
words with the cluster's other reports in that language (the first when none shares any), with
quoted lines, signatures, greetings, thanks, URLs, mentions, emoji and quote marks left out, and
a long sentence cut at a clause boundary where one fits. Personal data is the service's to
redact, before its own cut to 80 characters (``feedback_router.clusters.titles``).
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from classifiers.clustering import STOP_WORDS, normalise
from classifiers.splitting import split_sentences

TITLE_LENGTH = 80
KEEP_AMONG = 3
KEEP_SHARE = 0.1
UNDETERMINED = "und"

_GREETING = re.compile(
    r"^(?:hi|hey|hello|hallo|moin|servus|hej|dear|liebe[sr]?|guten (?:morgen|tag|abend)|good (?:morning|"
    r"afternoon|evening)|greetings)\b[^,.!?:]{0,30}(?:[,.!?:]+\s*|$)",
    re.IGNORECASE,
)
_PLEASANTRY = re.compile(
    r"^(?:thanks?|thank you|many thanks|cheers|best|regards|best regards|kind regards|danke|vielen dank|"
    r"danke schön|viele grüße|liebe grüße|beste grüße|grüße|gruß|lg|vg|mfg|mit freundlichen grüßen|"
    r"bitte helft|please help)\b.{0,40}$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(?:--\s*|—|sent from my .*|von meinem .* gesendet)$", re.IGNORECASE)
_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w.])[@#][\w-]+|[*_`~|<>\[\]{}]+")
_LEADING = re.compile(r"^(?:but|and|so|also|however|aber|und|jedoch)\b[,\s]*", re.IGNORECASE)
_QUOTES = re.compile(r"[\"“”„‟«»‹›]|(?<!\w)'|'(?!\w)")
_CLAUSE = re.compile(r"(?:[,;:–—]| - | \((?=\w))\s*")
_SPACE = re.compile(r"\s+")


def _symbols_out(text: str) -> str:
    """Emoji and other symbols (except the few that carry meaning in a title) become spaces."""
    keep = set("%&+/€$£°")
    return "".join(" " if unicodedata.category(ch)[0] == "S" and ch not in keep else ch for ch in text)


def _body(text: str) -> str:
    """The text without quoted lines (``> ...``) and without what follows a signature line."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if _SIGNATURE.match(stripped):
            break
        if not stripped.startswith(">"):
            lines.append(stripped)
    return "\n".join(lines)


def _clean(sentence: str) -> str:
    sentence = _QUOTES.sub("", _NOISE.sub(" ", _symbols_out(sentence)))
    sentence = _SPACE.sub(" ", sentence).strip(" -–—,;:")
    while (greeting := _GREETING.match(sentence)) and greeting.end() < len(sentence):
        sentence = sentence[greeting.end() :].strip(" -–—,;:")
    if _GREETING.fullmatch(sentence) or _PLEASANTRY.match(sentence):
        return ""
    return _LEADING.sub("", sentence).rstrip(" .")


def content_words(text: str) -> set[str]:
    """The words of a text that carry its content: three letters or more, no stop words."""
    return {w for w in re.findall(r"[^\W\d_]{3,}", text.lower()) if w not in STOP_WORDS}


def sentences(text: str) -> list[str]:
    """The report's sentences, cleaned; those left empty by cleaning (greetings, thanks) are gone."""
    found = [_clean(s.text) for s in split_sentences(_body(text))]
    return [s for s in found if len(s.split()) >= 2] or [s for s in found if s]


def key_sentence(text: str, shared: Mapping[str, int] | None = None, limit: int = TITLE_LENGTH) -> str:
    """The sentence of ``text`` that says most of what the cluster says, cleaned and at most about
    ``limit`` characters long.

    Args:
        text: one report.
        shared: in how many of the cluster's other reports each content word occurs; the sentence
            with the highest sum over its distinct content words wins, the earlier on a tie.
        limit: a longer sentence is cut after its last clause (comma, semicolon, dash ...) that ends
            within the limit and past a third of it; without one, it is left whole for the caller's
            word cut.

    Returns:
        The sentence with its first letter capitalised, without a closing full stop; "" when the
        text says nothing once cleaned.
    """
    found = sentences(text)
    if not found:
        return ""
    scores = [sum((shared or {}).get(w, 0) for w in content_words(s)) for s in found]
    best = found[int(np.argmax(scores))]  # the first of the highest
    if len(best) > limit:
        ends = [m.start() for m in _CLAUSE.finditer(best) if limit // 3 <= m.start() <= limit]
        if ends:
            best = best[: ends[-1]].rstrip(" .")
    return best[:1].upper() + best[1:]


def shared_words(texts: Sequence[str]) -> Counter[str]:
    """In how many of ``texts`` each content word occurs."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(content_words(text))
    return counts


def title_sources(
    vectors: np.ndarray, languages: Sequence[str | None], current: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Per language of the cluster's reports, which report names the cluster.

    Args:
        vectors: the reports' embeddings (any length; normalised here).
        languages: each report's language; None counts as ``und``.
        current: per language, the row of the report that names the cluster now, if still in it.

    Returns:
        Per language, the row of the report nearest the centroid among that language's; the
        current one instead while it is among the ``max(KEEP_AMONG, KEEP_SHARE × n)`` nearest.
    """
    x = normalise(vectors)
    if len(x) == 0:
        return {}
    closeness = x @ normalise(x.mean(axis=0))[0]
    chosen: dict[str, int] = {}
    for language in dict.fromkeys(lang or UNDETERMINED for lang in languages):
        rows = [i for i, lang in enumerate(languages) if (lang or UNDETERMINED) == language]
        ranked = sorted(rows, key=lambda i: (-round(float(closeness[i]), 6), i))
        keep = max(KEEP_AMONG, round(KEEP_SHARE * len(ranked)))
        now = (current or {}).get(language)
        chosen[language] = now if now in ranked[:keep] else ranked[0]
    return chosen


def fallback_language(counts: Mapping[str, int]) -> str | None:
    """The language a reader without a title in their own gets: the most reports, a determined
    language before ``und``, then alphabetical."""
    if not counts:
        return None
    return min(counts, key=lambda lang: (lang == UNDETERMINED, -counts[lang], lang))
