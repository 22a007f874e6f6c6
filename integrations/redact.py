"""Remove personal data from text before it leaves for an outside system.

:func:`redact` replaces e-mail addresses, IBANs, payment card numbers and phone numbers by the
placeholders ``[email]``, ``[iban]``, ``[card]`` and ``[phone]``. Each pattern is narrow on purpose
and checked where a check exists (IBANs against the SWIFT registry's country formats and their
checksum with ``schwifty``, cards by Luhn), so that order numbers, dates, versions and prices survive:
feedback without its numbers is much less useful to the team that fixes the bug.

:func:`redact_then_cut` is the one way to shorten text that leaves: a phone number or IBAN cut in
half no longer matches, so the whole text is redacted before it is cut.

The phone patterns recognise the shapes people actually write, in English and German texts:

- international: ``+49 176 1234567``, ``+49 (0)30 1234567``, ``+1-555-123-4567``, ``0049 30 1234567``
- German national with trunk ``0``: ``0176 1234567``, ``030/12345678``, ``089 123 456 78``,
  ``01761234567``
- an area code in parentheses: ``(555) 123-4567``, ``(030) 1234567``
- North American: ``555-123-4567``, ``555.123.4567``, ``1-800-555-0199``

What is left alone: years and short numbers (``2024``, ``112``), versions (``2.3.1``), dates
(``15.03.2024``, ``2024-03-15``, ``03/15/2024``), prices (``€1.299,00``), and digit runs that start
with something other than ``0`` or ``+``. Being a heuristic, it is no guarantee: it lowers the amount
of personal data that leaves, it does not prove there is none.

The phone patterns are kept here rather than taken from ``phonenumbers``' matcher because they measured
better on our cases (``python -m benchmarks.redaction``): the matcher, with Germany as the default
region, missed North American numbers written without ``+1`` and took article and URL digits for
numbers, and took about ten times as long.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["redact", "redact_then_cut"]

EMAIL = re.compile(r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[A-Za-z]{2,24}\b")

# Letters and digits, optionally in groups separated by single spaces; the exact IBAN inside the
# candidate is found by _iban_span (a following word in capitals must not spoil the checksum).
IBAN_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")

# 13-19 digits, either in one run or in groups (first of four digits, the rest three to six, one
# kind of separator): 4111 1111 1111 1111, 3782-822463-10005. Dates have two-digit groups.
CARD = re.compile(
    r"(?<![\w.,+/-])(?:\d{13,19}|\d{4}(?P<sep>[ -])\d{3,6}(?:(?P=sep)\d{1,6}){1,3})(?![\w-]|[.,/]\d)"
)

# A digit group is preceded by a separator or a closing parenthesis, so the groups split in one way
# only (no catastrophic backtracking); parenthesised parts such as (0) or (030) may follow directly.
_GROUPS = r"(?:[ ./-]?\(\d{1,5}\)|(?:[ ./-]|(?<=\)))\d{1,15})*"
PHONE_PATTERNS = [  # (pattern, fewest digits): a German number with its trunk 0 has at least nine
    # international: + or 00, country code, then groups
    (re.compile(r"(?<![\w+])(?:\+|\b00(?=[1-9]))\s?(?:\(\d{1,4}\)|[1-9]\d{0,14})" + _GROUPS + r"(?!\w)"), 8),
    # an area code in parentheses: (555) 123-4567, (030) 1234567
    (re.compile(r"(?<!\w)\(\d{2,5}\) ?\d{3,4}(?:[ .-]?\d{2,5}){1,2}(?!\w|[.,]\d)"), 9),
    # German national: 0 + area code (3-5 digits in all), then 1-3 groups; "/" only after the area code
    (re.compile(r"(?<![\w+./-])0[1-9]\d{1,4}[ /-]\d{2,8}(?:[ -]\d{2,8}){0,2}(?![\w/-]|[.,]\d)"), 9),
    # German national, one run of digits: 01761234567
    (re.compile(r"(?<![\w+./-])0[1-9]\d{8,11}(?![\w/-]|[.,]\d)"), 9),
    # North American: 555-123-4567, 555.123.4567, 555 123 4567, 1-800-555-0199
    (re.compile(r"(?<![\w.+/-])(?:1[ .-])?\d{3}(?P<s>[ .-])\d{3}(?P=s)\d{4}(?![\w-]|[.,]\d)"), 10),
]
PHONE_MAX_DIGITS = 15  # E.164


def redact(text: str) -> str:
    """Replace personal data in ``text`` by placeholders.

    Args:
        text: any text, e.g. a feedback item about to be copied into a ticket or a Slack message.

    Returns:
        The text with e-mail addresses as ``[email]``, IBANs as ``[iban]``, payment card numbers as
        ``[card]`` and phone numbers as ``[phone]``; everything else unchanged.
    """
    text = EMAIL.sub("[email]", text)
    text = IBAN_CANDIDATE.sub(_replace_iban, text)
    text = CARD.sub(_replace_card, text)
    for pattern, fewest in PHONE_PATTERNS:
        text = pattern.sub(_phone_replacer(fewest), text)
    return text


def redact_then_cut(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters without personal data: a title, a summary, a quote.

    The whole text is redacted first and cut afterwards; cut first, half an IBAN or phone number would
    no longer be recognised and would leave as it is.

    Args:
        text: any text, e.g. a feedback item.
        limit: the most characters of the result, the ``…`` included.

    Returns:
        :func:`redact`'s text with whitespace collapsed to single spaces; when longer than ``limit``,
        cut at the last word boundary that fits (inside a word where that would lose more than half),
        trailing punctuation dropped, and ended with ``…``.
    """
    line = " ".join(redact(text).split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if cut.rfind(" ") >= len(cut) // 2:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.") + "…"


def _replace_card(match: re.Match[str]) -> str:
    return "[card]" if _is_card(match.group(0)) else match.group(0)


def _phone_replacer(fewest: int) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0).replace("(0)", ""))
        return "[phone]" if fewest <= len(digits) <= PHONE_MAX_DIGITS else match.group(0)

    return replace


def _replace_iban(match: re.Match[str]) -> str:
    candidate = match.group(0)
    end = _iban_span(candidate)
    return candidate if end is None else "[iban]" + candidate[end:]


def _iban_span(candidate: str) -> int | None:
    """The end of the longest valid IBAN at the start of ``candidate`` (at a group boundary)."""
    ends = [i for i, char in enumerate(candidate) if char == " "] + [len(candidate)]
    for end in reversed(ends):
        if _is_iban(candidate[:end].replace(" ", "")):
            return end
    return None


def _is_iban(compact: str) -> bool:
    """Valid in the SWIFT registry: a known country, its length and format, and the mod-97 checksum."""
    from schwifty import IBAN  # imported on first use: its registry costs a CLI start 0.3 s

    try:
        IBAN(compact)
    except ValueError:  # schwifty's errors are ValueErrors
        return False
    return True


def _is_card(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return _card_length_fits(digits) and _luhn(digits)


def _card_length_fits(digits: str) -> bool:
    """Whether an issuer with this prefix hands out numbers of this length (Visa, Mastercard, ...)."""
    length, first, two = len(digits), digits[0], int(digits[:2])
    if first == "4":  # Visa
        return length in (13, 16, 19)
    if first == "2":  # Mastercard 2-series
        return length == 16 and 2221 <= int(digits[:4]) <= 2720
    if first == "5":  # Mastercard 51-55, Maestro 50 and 56-59
        return length == 16 if 51 <= two <= 55 else 13 <= length <= 19
    if first == "3":  # Amex 34/37, JCB 35, Diners 30/36/38/39
        return length == 15 if two in (34, 37) else (16 if two == 35 else 14) <= length <= 19
    return first == "6" and 16 <= length <= 19  # Discover, UnionPay, Maestro


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
