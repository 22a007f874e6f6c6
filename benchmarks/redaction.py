"""python -m benchmarks.redaction: recall and false positives of the redaction, against the libraries.

On the cases in tests/integrations/pii_cases.py, each in every context: a case is recalled when no run of
four or more of its digits (and not the case itself) is left. False positives: ordinary texts with numbers
(versions, dates, prices, order numbers) that are changed. Phones: our patterns against ``phonenumbers``'
matcher with Germany as the default region; IBANs: the SWIFT registry through ``schwifty`` against a bare
mod-97 check.
"""

import re
import time
from collections.abc import Callable

from integrations import redact as ours
from tests.integrations.pii_cases import CONTEXTS, ORDINARY, PII, leaked


def _matcher(leniency_name: str) -> Callable[[str], str]:
    from phonenumbers import Leniency, PhoneNumberMatcher

    leniency = getattr(Leniency, leniency_name)

    def phones(text: str) -> str:
        for match in reversed(list(PhoneNumberMatcher(text, "DE", leniency=leniency))):
            text = text[: match.start] + "[phone]" + text[match.end :]
        return text

    return phones


def _mod97(compact: str) -> bool:
    if not 15 <= len(compact) <= 34 or not compact[2:4].isdigit():
        return False
    return int("".join(str(int(char, 36)) for char in compact[4:] + compact[:4])) % 97 == 1


def _redactor(
    phones: Callable[[str], str] | None, iban_check: Callable[[str], bool] | None
) -> Callable[[str], str]:
    """redact() with its phone patterns or its IBAN check swapped for another."""

    def replace_iban(match: re.Match[str]) -> str:
        candidate = match.group(0)
        ends = [i for i, char in enumerate(candidate) if char == " "] + [len(candidate)]
        for end in reversed(ends):
            if iban_check is not None and iban_check(candidate[:end].replace(" ", "")):
                return "[iban]" + candidate[end:]
        return candidate

    def redact(text: str) -> str:
        text = ours.EMAIL.sub("[email]", text)
        text = ours.IBAN_CANDIDATE.sub(ours._replace_iban if iban_check is None else replace_iban, text)
        text = ours.CARD.sub(ours._replace_card, text)
        if phones is not None:
            return phones(text)
        for pattern, fewest in ours.PHONE_PATTERNS:
            text = pattern.sub(ours._phone_replacer(fewest), text)
        return text

    return redact


def measure(name: str, redact: Callable[[str], str]) -> None:
    recalled = {
        kind: sum(not leaked(case, redact(context.format(case))) for case in cases for context in CONTEXTS)
        for kind, cases in PII.items()
    }
    changed = [text for text in ORDINARY if redact(text) != text]
    started = time.perf_counter()
    for _ in range(5):
        for text in ORDINARY:
            redact(text)
    micros = (time.perf_counter() - started) / (5 * len(ORDINARY)) * 1e6
    recall = ", ".join(f"{kind} {recalled[kind]}/{len(PII[kind]) * len(CONTEXTS)}" for kind in PII)
    print(f"{name}: recall {recall}; false positives {len(changed)}/{len(ORDINARY)}; {micros:.0f} µs a text")
    for text in changed:
        print(f"    changed: {text!r} -> {redact(text)!r}")


def main() -> None:
    measure("ours (patterns, schwifty IBANs)", ours.redact)
    measure("IBANs by a bare mod-97 check", _redactor(None, _mod97))
    try:
        import phonenumbers  # noqa: F401  (only measured here; the service does not use it)
    except ImportError:
        print("phonenumbers is not installed: its matcher is not measured")
        return
    measure("phones by phonenumbers, DE, VALID", _redactor(_matcher("VALID"), None))
    measure("phones by phonenumbers, DE, POSSIBLE", _redactor(_matcher("POSSIBLE"), None))


if __name__ == "__main__":
    main()
