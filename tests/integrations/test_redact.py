"""redact(): personal data out, everything a team needs to fix the problem stays (English and German);
redact_then_cut(): nothing of it survives a cut, wherever the cut falls."""

from __future__ import annotations

import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from integrations.redact import redact, redact_then_cut
from tests.integrations.pii_cases import CONTEXTS, ORDINARY, PII, leaked

CASES = [case for cases in PII.values() for case in cases]
# Known mistakes, measured by python -m benchmarks.redaction: an EAN read as an international number.
FALSE_POSITIVES = {"Artikelnummer 4 006381 333931 (EAN)"}
# The lengths text is cut to on its way out: titles, digest titles and authors, Jira summaries, quotes.
CUT_LENGTHS = (80, 120, 255, 280)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # e-mail addresses
        ("Mail me at john.doe+test@example.co.uk please", "Mail me at [email] please"),
        ("Schreib an anna.müller@beispiel.de!", "Schreib an [email]!"),
        ("<mailto:SUPPORT@Example.COM>", "<mailto:[email]>"),
        # phone numbers, international
        ("Call +49 176 1234567 tomorrow", "Call [phone] tomorrow"),
        ("Erreichbar unter +49 (0)30 1234567.", "Erreichbar unter [phone]."),
        ("US office: +1-555-123-4567", "US office: [phone]"),
        ("UK: +44 20 7946 0958", "UK: [phone]"),
        ("Tel. 0049 30 1234567", "Tel. [phone]"),
        ("Handy: +4917612345678", "Handy: [phone]"),
        # phone numbers, national
        ("Ruf an: 0176 1234567", "Ruf an: [phone]"),
        ("Festnetz 030/12345678 oder 089 123 456 78", "Festnetz [phone] oder [phone]"),
        ("Nummer 01761234567", "Nummer [phone]"),
        ("Call (555) 123-4567 or 555-123-4567 or 555.123.4567", "Call [phone] or [phone] or [phone]"),
        ("Hotline 1-800-555-0199", "Hotline [phone]"),
        ("Vorwahl (030) 1234567", "Vorwahl [phone]"),
        # IBANs (mod-97 checked), with and without spaces
        ("IBAN DE89 3704 0044 0532 0130 00, danke", "IBAN [iban], danke"),
        ("Konto DE89370400440532013000.", "Konto [iban]."),
        ("Pay to GB82 WEST 1234 5698 7654 32 THANKS", "Pay to [iban] THANKS"),
        ("AT61 1904 3002 3457 3201 bitte", "[iban] bitte"),
        # payment cards (Luhn checked), with spaces, dashes or none
        ("Card 4111 1111 1111 1111 was charged twice", "Card [card] was charged twice"),
        ("Karte 5555-5555-5555-4444 abgelehnt", "Karte [card] abgelehnt"),
        ("Amex 378282246310005 and 3782-822463-10005", "Amex [card] and [card]"),
        # several at once
        (
            "Ich bin anna@example.org, Tel. +49 30 12345678, IBAN DE89370400440532013000",
            "Ich bin [email], Tel. [phone], IBAN [iban]",
        ),
    ],
)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [text for text in ORDINARY if text not in FALSE_POSITIVES])
def test_numbers_that_are_not_personal_data_stay(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent_and_keeps_surrounding_text() -> None:
    once = redact("Hallo,\nmeine Nummer ist 0176 1234567.\nGrüße, jana@example.de")
    assert once == "Hallo,\nmeine Nummer ist [phone].\nGrüße, [email]"
    assert redact(once) == once


def test_long_and_adversarial_input_is_fast() -> None:
    nasty = "+4" + "9 1" * 5000 + " " + "1-" * 10000 + "a.b" * 5000 + "@" + "(1)" * 5000
    started = time.perf_counter()
    redact(nasty)
    # It takes milliseconds; catastrophic backtracking would take hours. The bound only has to tell the
    # two apart, also on a busy machine.
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("case", CASES)
def test_every_case_is_redacted_in_every_context(case: str) -> None:
    for context in CONTEXTS:
        text = context.format(case)
        assert leaked(case, redact(text)) == [], text


@pytest.mark.parametrize("limit", CUT_LENGTHS)
def test_no_digits_of_personal_data_survive_a_cut_at_any_offset(limit: int) -> None:
    """Each case at every offset around the cut: before it, across it and just after it."""
    for case in CASES:
        for offset in range(max(limit - len(case) - 3, 0), limit + 2):
            words = ("lorem ipsum dolor " * (offset // 18 + 1))[:offset]
            text = f"{words} {case} sit amet, consectetur adipiscing elit"
            out = redact_then_cut(text, limit)
            assert len(out) <= limit
            assert leaked(case, out) == [], (offset, out)


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12)
_FILLER = st.lists(_WORD, max_size=40).map(" ".join)


@settings(deadline=None)  # no limit on an example's time: a busy machine is no failure
@given(
    case=st.sampled_from(CASES),
    before=_FILLER,
    left=st.sampled_from([" ", " (", ": ", "\n", " an "]),
    right=st.sampled_from([" ", ". ", ", ", ") ", "!\n"]),
    after=_FILLER,
    limit=st.integers(min_value=8, max_value=300),
)
@example(case="DE89 3704 0044 0532 0130 00", before="Bitte um Erstattung auf", left=" ", right=" ", after="",
         limit=40)  # fmt: skip
def test_property_nothing_of_the_case_survives_redact_then_cut(
    case: str, before: str, left: str, right: str, after: str, limit: int
) -> None:
    text = before + left + case + right + after
    out = redact_then_cut(text, limit)
    assert len(out) <= limit and "\n" not in out
    assert leaked(case, out) == []


def test_redact_then_cut_cuts_at_a_word_and_keeps_short_text_whole() -> None:
    assert redact_then_cut("  Export\nis   empty  ", 80) == "Export is empty"
    assert redact_then_cut("Erreichbar unter 0171 2345678, bitte zurückrufen", 24) == "Erreichbar unter…"
    assert redact_then_cut("Erreichbar unter 0171 2345678, bitte", 27) == "Erreichbar unter [phone]…"
    assert redact_then_cut("x" * 300, 255) == "x" * 254 + "…"  # one long word: cut inside it
