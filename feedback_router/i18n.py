"""Every text a person reads in their own language, one way: ``t(language, key, **params)``.

The strings live in ``locales/<area>.<language>.json`` (an area is a page of the web app, the
authors' notices, the digest...); all files of a language make one catalog, so a key names one
string wherever it is used: Python (the thanks, an e-mail's subject), the Jinja templates of the web
app and of the digests (both get ``t``), and the web app's scripts (a page hands them its strings).

A value is a ``str.format`` template with named placeholders, ``"Hi {name},"``, or, for a number,
its plural forms ``{"one": "1 report", "other": "{count} reports"}``, chosen by the ``count``
parameter (English and German have these two; a language with more forms adds its rule to
``plural_form``). A key a language lacks falls back to English. ``tests/test_i18n.py`` checks that
every key exists in every language with the same placeholders. docs/i18n.md: adding a language.
"""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"

Entry = str | dict[str, str]


def supported(code: str | None) -> str:
    """The catalog for a language code such as ``"de"``, ``"DE"`` or ``"de-AT"``: its primary
    subtag where we have it, else English."""
    from classifiers.language import normalise_code  # inside: it loads Haystack, which pages need not

    primary = normalise_code(code or "")
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache
def catalog(language: str) -> dict[str, Entry]:
    """All strings of ``language``, from every ``locales/*.<language>.json``."""
    strings: dict[str, Entry] = {}
    for path in sorted(LOCALES.glob(f"*.{language}.json")):
        strings.update(json.loads(path.read_text(encoding="utf-8")))
    return strings


def plural_form(language: str, count: int) -> str:
    """The CLDR plural category of ``count``: English and German say "1 report", "2 reports"."""
    return "one" if count == 1 else "other"


def t(language: str, key: str, /, **params: Any) -> str:
    """The string ``key`` in ``language`` (else English; else the key itself, so a page never fails
    for a missing string), with ``params`` filled in."""
    entry = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    if isinstance(entry, dict):
        entry = entry[plural_form(language, int(params["count"]))]
    return entry.format(**params) if params else entry
