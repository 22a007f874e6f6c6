"""Every string people read exists in English and in German, with the same placeholders, and every
key the code and the templates ask for is in the catalog."""

import json
import re
from pathlib import Path
from string import Formatter
from typing import get_args

from feedback_router.digests.schemas import Language
from feedback_router.i18n import LANGUAGES, LOCALES, Entry, catalog, supported, t

ROOT = Path(__file__).parents[1]
# A whole key asked for: t("key", ...) in a template, t(language, "key", ...) in Python (not a prefix
# that the template completes, t("delivery_" ~ status)).
ASKED = re.compile(r"""\bt\(\s*(?:[\w.]+(?:\([\w.]*\))?\s*,\s*)?["']([a-z][a-z0-9_]*)["']\s*[,)]""")


def forms(entry: Entry) -> list[str]:
    return list(entry.values()) if isinstance(entry, dict) else [entry]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def test_every_page_has_its_strings_in_both_languages():
    catalog.cache_clear()  # read the files as they are now
    english, german = catalog("en"), catalog("de")
    assert set(english) == set(german), set(english) ^ set(german)
    values = [text for entry in [*english.values(), *german.values()] for text in forms(entry)]
    assert all(value.strip() for value in values)


def test_each_locale_file_has_a_partner():
    names = {path.name for path in LOCALES.glob("*.json")}
    for name in names:
        page, language, _ = name.rsplit(".", 2)
        for other in LANGUAGES:
            assert f"{page}.{other}.json" in names, f"{name} has no {other} partner"


def test_a_key_lives_in_one_file():
    """The files of a language make one catalog: a key in two files would silently hide one."""
    for language in LANGUAGES:
        seen: dict[str, str] = {}
        for path in sorted(LOCALES.glob(f"*.{language}.json")):
            for key in json.loads(path.read_text(encoding="utf-8")):
                assert key not in seen, f"{key} is in {seen.get(key)} and {path.name}"
                seen[key] = path.name


def test_placeholders_match_across_languages():
    """A translation uses the values its English string is given, no more and no fewer; a count's
    "one" form may say the number in words ("eine lobende Nachricht")."""
    english = catalog("en")
    for language in LANGUAGES:
        for key, entry in catalog(language).items():
            if isinstance(entry, dict):
                assert set(entry) == {"one", "other"}, f"{language} {key}: plural forms {set(entry)}"
                assert isinstance(english[key], dict), f"{language} {key} has plural forms, English not"
                assert "count" in placeholders(entry["other"]), f"{language} {key}: other without {{count}}"
            wanted = set().union(*(placeholders(text) for text in forms(english[key]))) - {"count"}
            for text in forms(entry):
                assert placeholders(text) - {"count"} == wanted, f"{language} {key}: {text!r}"


def test_every_key_the_code_asks_for_exists():
    sources = [*ROOT.glob("feedback_router/**/*.py"), *ROOT.glob("feedback_router/**/*.html")]
    sources += ROOT.glob("feedback_router/**/*.j2")
    asked = {key for path in sources for key in ASKED.findall(path.read_text(encoding="utf-8"))}
    assert {"thanks_subject", "digest_reports", "nav_inbox", "tickets_attempts"} <= asked  # the search works
    assert asked - set(catalog("en")) == set()


def test_counts_pick_their_form_and_fill_it():
    assert t("en", "digest_reports", count=1) == "1 report"
    assert t("en", "digest_reports", count=3) == "3 reports"
    assert t("de", "digest_praise", count=1).startswith("In diesem Zeitraum hat uns eine lobende")
    assert t("de", "tickets_attempts", count=0) == "0 Versuche"


def test_a_language_we_have_no_words_in_reads_english():
    assert [supported(code) for code in ("de", "DE", "de-AT", "de_CH", "en-GB")] == ["de"] * 4 + ["en"]
    assert [supported(code) for code in ("fr", "und", "", None)] == ["en"] * 4
    assert t("fr", "thanks_greeting") == t("en", "thanks_greeting") == "Hi,"


def test_digests_are_offered_in_every_language_of_the_catalog():
    assert get_args(Language) == LANGUAGES
