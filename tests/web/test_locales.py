"""Every string of the interface exists in English and in German."""

from pathlib import Path

from feedback_router.web.pages import LANGUAGES, locale

LOCALES = Path(__file__).parents[2] / "feedback_router" / "web" / "locales"


def test_every_page_has_its_strings_in_both_languages():
    locale.cache_clear()  # read the files as they are now
    english, german = locale("en"), locale("de")
    assert set(english) == set(german), set(english) ^ set(german)
    assert all(value.strip() for value in [*english.values(), *german.values()])


def test_each_locale_file_has_a_partner():
    names = {path.name for path in LOCALES.glob("*.json")}
    for name in names:
        page, language, _ = name.rsplit(".", 2)
        for other in LANGUAGES:
            assert f"{page}.{other}.json" in names, f"{name} has no {other} partner"
