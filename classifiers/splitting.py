"""Mixed messages: one text that praises, reports a bug and asks a question at once.

``split_sentences`` cuts a text into sentence-like segments with character spans into the
original; ``split_parts`` labels the segments with a caller's classifier and decides whether
the text is mixed, and if so into which parts.

Sentence ends are ``.``, ``!``, ``?``, ``…`` (with closing quotes, brackets and emoji that
follow them), line breaks, and emoji before a capitalised word ("Love it 😍 Export crashes").
Not sentence ends: punctuation inside a word, number or URL ("v2.3", "example.com/a.b?c=1"),
known abbreviations ("e.g.", "z.B.", "z. B.", "Dr.", "bzw."), single initials ("J. Smith") and
German ordinals before a month ("am 3. März").
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MIN_CONFIDENCE = 0.6
# A sentence of fewer words that has no feedback kind ("other": "It's 2026.", "Echt jetzt.", "Hi!")
# carries no meaning of its own: it stays with its neighbour, as an unsure one does. Short ones
# with a kind ("Export crashes.", "Love it!") still count. Chosen on our mixed messages
# (classifiers/data/mixed_messages.jsonl, docs/decisions/0007).
DEFAULT_MIN_WORDS = 4
NO_KIND = "other"
_WORD = re.compile(r"\w+(?:['’]\w+)*")

# Lower-case, without the final dot; multi-part ones as written between the dots.
ABBREVIATIONS = frozenset(
    {
        # English
        "e.g", "i.e", "etc", "vs", "approx", "incl", "excl", "mr", "mrs", "ms", "dr", "prof", "st",
        "nr", "fig", "cf", "al", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
        "sept", "oct", "nov", "dec", "min", "max", "avg", "dept", "ca", "a.m", "p.m",
        # German
        "z.b", "z", "b", "d.h", "d", "h", "u.a", "u", "a", "bzw", "usw", "ggf", "evtl", "inkl",
        "bspw", "vgl", "sog", "zzgl", "mind", "str", "abs", "allg", "bzgl", "u.u",
        "o.ä", "o", "ä", "s.o", "s.u", "s", "v.a", "v", "m.e", "m", "e", "i.d.r", "tel", "gem",
        "geb", "jh", "jhd", "lt", "dt", "engl", "frz", "hr", "fr", "mio", "mrd", "std", "sek",
    }
)  # fmt: skip

_MONTHS = (
    "januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember"
    "|jan|feb|mär|apr|jun|jul|aug|sep|sept|okt|nov|dez"
)

# Emoji and pictographs, with their modifiers (skin tones, variation selector, joiner).
_EMOJI = (
    "\U0001f300-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\U0001f000-\U0001f2ff"
    "\ufe0f\u200d\U0001f3fb-\U0001f3ff"
)
_CLOSERS = "\"'”“’‘»«›‹)\\]"

# A sentence end: terminal punctuation, then closing quotes or brackets, then emoji, all
# followed by whitespace or the end of the text.
_END = re.compile(rf"(?:[.!?…]+[{_CLOSERS}]*(?:\s*[{_EMOJI}]+)*)(?=\s|$)")
# Emoji that end a sentence without punctuation: followed by whitespace and a capital letter.
_EMOJI_END = re.compile(rf"(?<=[^\s{_EMOJI}])\s*[{_EMOJI}]+(?=\s+[A-ZÄÖÜ])")
_URL = re.compile(r"(?:https?://|www\.)[^\s]+?(?=[.,!?…)\]\"'»“”]*(?:\s|$))", re.IGNORECASE)
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_LOWER_NEXT = re.compile(r"\s+[a-zäöüß]")


@dataclass(frozen=True)
class Segment:
    """A sentence-like piece of a text: ``text == original[start:end]``."""

    text: str
    start: int
    end: int


@dataclass
class _Run:
    """Adjacent segments on their way to becoming a part."""

    kind: str
    start: int
    end: int
    weighted: float
    weight: int


@dataclass(frozen=True)
class Part:
    """A run of adjacent segments of one kind: ``text == original[start:end]``."""

    text: str
    start: int
    end: int
    kind: str
    confidence: float


def _is_abbreviation_or_ordinal(text: str, dot: int) -> bool:
    """Whether the ``.`` at ``dot`` ends a known abbreviation, an initial or a German ordinal."""
    before = _WORD_BEFORE.search(text, 0, dot)
    if not before:
        return False
    raw = before.group(1).strip(".")
    word = raw.lower()
    if word in ABBREVIATIONS:
        return True
    if len(raw) == 1 and raw.isupper() and raw != "I":
        return True  # an initial: "J. Smith"
    if word.isdigit() and len(word) <= 2:
        return re.match(rf"\s+(?:{_MONTHS})\b", text[dot + 1 :], re.IGNORECASE) is not None
    return False


def _boundaries(text: str) -> list[int]:
    """Offsets just after each sentence end, in order."""
    protected = [m.span() for m in _URL.finditer(text)]

    def inside_url(offset: int) -> bool:
        return any(start <= offset < end for start, end in protected)

    ends: set[int] = set()
    for match in _END.finditer(text):
        if inside_url(match.start()):
            continue
        punctuation = match.group(0)
        if (
            punctuation.startswith(".")
            and not punctuation.startswith("..")
            and (_is_abbreviation_or_ordinal(text, match.start()))
        ):
            continue
        if punctuation[-1] in _CLOSERS and _LOWER_NEXT.match(text, match.end()):
            continue  # „Geht nicht.“ schreibt er: a quotation inside a sentence
        ends.add(match.end())
    for match in _EMOJI_END.finditer(text):
        if not inside_url(match.start()):
            ends.add(match.end())
    for match in re.finditer(r"\n", text):
        ends.add(match.start())
    return sorted(ends)


def split_sentences(text: str) -> list[Segment]:
    """Sentence-like segments of ``text``, without surrounding whitespace, with their spans."""
    segments = []
    start = 0
    for end in [*_boundaries(text), len(text)]:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            offset = start + (len(piece) - len(piece.lstrip()))
            segments.append(Segment(stripped, offset, offset + len(stripped)))
        start = max(start, end)
    return segments


def split_parts(
    text: str,
    classify: Callable[[list[str]], list[tuple[str, float]]],
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    min_words: int = DEFAULT_MIN_WORDS,
) -> list[Part]:
    """The parts of a mixed message, or an empty list when it is not mixed.

    The text is cut into sentences and ``classify`` labels them all in one call. A sentence
    whose confidence is below ``min_confidence``, or of kind ``other`` with fewer than ``min_words``
    words, cannot start a part of its own: it joins the part before it (or, at the start, the part
    after it). Adjacent sentences of one kind are merged. The text is mixed when this leaves at
    least two parts; each part's confidence is the length-weighted mean over its confident
    sentences, so at least ``min_confidence``, and each part's text is the original from its first
    sentence to its last.

    Args:
        text: the message.
        classify: labels a batch of texts, returning one ``(kind, confidence)`` per text, in order.
        min_confidence: the least confidence for a sentence to count as evidence of its kind.
        min_words: the fewest words for a sentence of kind ``other`` to count as evidence.

    Returns:
        The parts in text order, or ``[]`` when there are fewer than two kinds to tell apart.
    """
    segments = split_sentences(text)
    if len(segments) < 2:
        return []
    labels = classify([s.text for s in segments])
    if len(labels) != len(segments):
        raise ValueError(f"classify returned {len(labels)} labels for {len(segments)} segments")

    runs: list[_Run] = []
    leading_start: int | None = None  # where unsure segments before the first confident one begin
    for segment, (kind, confidence) in zip(segments, labels, strict=True):
        filler = kind == NO_KIND and len(_WORD.findall(segment.text)) < min_words
        if confidence < min_confidence or filler:
            if runs:
                runs[-1].end = segment.end
            elif leading_start is None:
                leading_start = segment.start
            continue
        weight = len(segment.text)
        if runs and runs[-1].kind == kind:
            runs[-1].end = segment.end
            runs[-1].weighted += confidence * weight
            runs[-1].weight += weight
        else:
            start = segment.start if runs or leading_start is None else leading_start
            runs.append(_Run(kind, start, segment.end, confidence * weight, weight))

    if len(runs) < 2:
        return []
    return [
        Part(text[r.start : r.end], r.start, r.end, r.kind, round(r.weighted / r.weight, 4)) for r in runs
    ]
