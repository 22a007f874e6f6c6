"""Cluster titles in Chromium, in English and in German: each reader sees a cluster named by one of its
reports in their language (another language, marked as such, where it has none), a German digest
names it in German, and a manager's name wins in both until it is given back.

The reports are stored and clustered in-process on hand-made vectors (the model is not the subject);
the service runs without its worker."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from feedback_router.clusters import titles
from feedback_router.db import utcnow
from tests.clusters.test_clusters import cluster_of, direction
from tests.routing.helpers import labelled
from tests.web.conftest import patient, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EN_PDF = [
    "Exporting a long note to PDF crashes the app.",
    "The app crashes every time I export to PDF!",
    "PDF export crashes the whole app on my laptop.",
]
DE_PDF = [
    "Der PDF-Export bringt die App zum Absturz.",
    "Hallo zusammen, beim Export als PDF stürzt die App jedes Mal ab.",
    "PDF exportieren geht nicht, die App stürzt ab.",
]
EN_LOGIN = [
    "Login fails after the update.",
    "I cannot log in since the update.",
    "The login page errors out.",
]


@pytest.fixture
def desk(configure, routes_file, request):  # type: ignore[no-untyped-def]
    """The service without its worker, and the reports clustered: PDF crashes in English and German,
    login failures in English only. Written yesterday, so that the default digest covers them."""
    settings = configure(routing_file=str(routes_file), cluster_threshold=0.5, cluster_recluster_seconds=0)
    url = request.getfixturevalue("api_only")
    yesterday = utcnow() - timedelta(days=1)
    ids = {}
    for name, problem, language, texts in (
        ("en", 0, "en", EN_PDF),
        ("de", 0, "de", DE_PDF),
        ("login", 1, "en", EN_LOGIN),
    ):
        ids[name] = [
            labelled(
                settings,
                text,
                "bug_report",
                0.9,
                embedding=direction(problem, seed=10 * problem + n + (5 if language == "de" else 0)),
                language=language,
                created_at=yesterday,
            )
            for n, text in enumerate(texts)
        ]
    pdf, login = cluster_of(settings, ids["en"][0]), cluster_of(settings, ids["login"][0])
    assert pdf.id == cluster_of(settings, ids["de"][0]).id and pdf.id != login.id
    return url, pdf, login


def reader(browser, url: str, language: str):  # type: ignore[no-untyped-def]
    context = patient(
        browser.new_context(base_url=url, locale="en-GB", viewport={"width": 1400, "height": 900})
    )
    page = context.new_page()
    sign_in(page)
    context.add_cookies([{"name": "fr_lang", "value": language, "url": url}])
    return page


def test_each_reader_sees_titles_in_their_language_and_a_rename_wins_in_both(browser, desk, shot):
    url, pdf, login = desk
    english, german = titles.title_for(pdf, "en"), titles.title_for(pdf, "de")
    login_title = titles.title_for(login, "de")
    assert english != german and login_title == titles.title_for(login, "en")

    en = reader(browser, url, "en")
    en.goto("/clusters")
    expect(en.locator(f"tr[data-id='{pdf.id}'] th a")).to_have_text(english)
    expect(en.locator(f"tr[data-id='{login.id}'] th a")).to_have_text(login_title)
    expect(en.locator(f"tr[data-id='{login.id}'] th a")).not_to_have_attribute("lang", "en")  # as the page
    shot(en, "cluster-titles-list-en")
    en.goto(f"/clusters/{pdf.id}")
    expect(en.get_by_role("heading", level=1)).to_have_text(english)
    expect(en.get_by_label("Title")).to_have_value(english)
    source = pdf.titles["en"]["feedback_id"]
    expect(en.locator("#title-origin")).to_contain_text("Taken from the report")
    expect(en.locator("#title-origin").get_by_role("link", name=f"#{source}")).to_have_attribute(
        "href", f"/inbox?id={source}"
    )
    shot(en, "cluster-titles-page-en")

    de = reader(browser, url, "de")
    de.goto("/clusters")
    expect(de.locator(f"tr[data-id='{pdf.id}'] th a")).to_have_text(german)
    # No German report about the login: the English title, marked as English for screen readers.
    expect(de.locator(f"tr[data-id='{login.id}'] th a")).to_have_text(login_title)
    expect(de.locator(f"tr[data-id='{login.id}'] th a")).to_have_attribute("lang", "en")
    shot(de, "cluster-titles-list-de")
    de.goto(f"/clusters/{pdf.id}")
    expect(de.get_by_role("heading", level=1)).to_have_text(german)
    expect(de.locator("#title-origin")).to_contain_text("Aus der Meldung")
    shot(de, "cluster-titles-page-de")

    # The German digest names the cluster in German, the English one in English.
    de.goto("/digests")
    expect(de.get_by_label("Sprache")).to_have_value("de")
    de.get_by_role("button", name="Digest entwerfen").click()
    de.wait_for_url("**/digests/*")
    preview = de.locator("article.preview")
    expect(preview).to_contain_text(german)
    expect(preview).not_to_contain_text(english)
    shot(de, "cluster-titles-digest-de")
    en.goto("/digests")
    en.get_by_role("button", name="Draft digest").click()
    en.wait_for_url("**/digests/*")
    expect(en.locator("article.preview")).to_contain_text(english)
    expect(en.locator("article.preview")).not_to_contain_text(german)

    # A manager's name stands for every language, until the titles from the reports are taken back.
    de.goto(f"/clusters/{pdf.id}")
    de.get_by_label("Titel", exact=True).fill("Absturz beim PDF-Export")
    de.get_by_role("button", name="Umbenennen").click()
    expect(de.get_by_role("heading", level=1)).to_have_text("Absturz beim PDF-Export")
    expect(de.locator("#title-origin")).to_contain_text("Ihr Name dafür")
    shot(de, "cluster-titles-renamed-de")
    en.goto("/clusters")
    expect(en.locator(f"tr[data-id='{pdf.id}'] th a")).to_have_text("Absturz beim PDF-Export")
    en.goto(f"/clusters/{pdf.id}")
    en.get_by_role("button", name="Use titles from the reports").click()
    expect(en.get_by_role("heading", level=1)).to_have_text(english)
    expect(en.get_by_role("button", name="Use titles from the reports")).to_have_count(0)
    de.goto(f"/clusters/{pdf.id}")
    expect(de.get_by_role("heading", level=1)).to_have_text(german)
