"""Cluster titles through the real routing, clustering, delivery and Jira client (the local fake Jira):
a title per language from the cluster's own reports, following its content, stable when that does
not change, redacted, and overruled by a manager's name. Vectors are hand-made (see test_clusters)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback_router.clusters import titles
from feedback_router.clusters.models import Cluster
from feedback_router.clusters.service import recluster
from feedback_router.db import session_scope, utcnow
from feedback_router.jobs import deliver
from tests.clusters.test_clusters import ROUTES, cluster_of, direction
from tests.integrations.pii_cases import leaked
from tests.routing.helpers import labelled, write

EN_PDF = [
    "Exporting a long note to PDF crashes the app.",
    "The app crashes every time I export to PDF!",
    "Hi all, PDF export crashes the whole app on my laptop. Thanks",
]
DE_PDF = [
    "Der PDF-Export bringt die App zum Absturz.",
    "Hallo zusammen, beim Export als PDF stürzt die App jedes Mal ab.",
    "PDF exportieren geht nicht, die App stürzt ab 😡",
]
DE_SYNC = "Die Synchronisierung hängt seit gestern, meine Notizen kommen nicht auf dem Handy an."
IBAN = "DE89 3704 0044 0532 0130 00"
PHONE = "0171 2345678"


@pytest.fixture
def wired(configure, tmp_path, fake_jira_cloud):  # type: ignore[no-untyped-def]
    return configure(
        routing_file=str(write(tmp_path / "routes.yaml", ROUTES)),
        **fake_jira_cloud.connection,
        retry_base_seconds=0,
        cluster_sync_seconds=0,
        cluster_threshold=0.5,
        cluster_recluster_seconds=0,
    )


def report(settings, text: str, language: str, seed: int, problem: int = 0, toward=None) -> int:  # type: ignore[no-untyped-def]
    embedding = direction(problem, seed=seed, toward=toward)
    return labelled(settings, text, "bug_report", 0.9, embedding=embedding, language=language)


def test_each_reader_gets_the_title_in_their_language_and_jira_the_configured_one(wired, fake_jira_cloud):
    ids = [report(wired, text, "en", seed=n) for n, text in enumerate(EN_PDF)]
    ids += [report(wired, text, "de", seed=10 + n) for n, text in enumerate(DE_PDF[:2])]
    cluster = cluster_of(wired, ids[0])
    assert {cluster_of(wired, i).id for i in ids} == {cluster.id}

    english, german = titles.title_for(cluster, "en"), titles.title_for(cluster, "de-AT")
    assert english in {t.rstrip(".!") for t in EN_PDF[:2]} | {"PDF export crashes the whole app on my laptop"}
    assert german in {
        "Der PDF-Export bringt die App zum Absturz",
        "Beim Export als PDF stürzt die App jedes Mal ab",
    }
    assert titles.title_for(cluster, "fr") == cluster.title == english  # no French: the majority's (English)
    assert titles.title_language(cluster, "fr") == "en"
    deliver(wired)
    [issue] = [i for i in fake_jira_cloud.issues if "fr-cluster" in i.fields["labels"]]
    assert issue.fields["summary"] == f"[5 reports] {english}"  # CLUSTER_TITLE_LANGUAGE: en by default


def test_jira_gets_the_title_in_the_configured_language(configure, wired, fake_jira_cloud):
    german_jira = configure(cluster_title_language="de")
    ids = [report(german_jira, text, "de", seed=n) for n, text in enumerate(DE_PDF)]
    ids.append(report(german_jira, EN_PDF[0], "en", seed=9))
    deliver(german_jira)
    [issue] = [i for i in fake_jira_cloud.issues if "fr-cluster" in i.fields["labels"]]
    assert issue.fields["summary"] == f"[4 reports] {titles.title_for(cluster_of(german_jira, ids[0]), 'de')}"
    assert "PDF" in issue.fields["summary"] and "crash" not in issue.fields["summary"]


def test_a_wrong_first_post_does_not_name_the_cluster_once_its_content_is_elsewhere(wired):
    # The sync complaint lands first, near enough to the PDF crashes to start their cluster.
    wrong = report(wired, DE_SYNC, "de", seed=1, toward=1)
    first = cluster_of(wired, wrong)
    assert titles.title_for(first, "de").startswith("Die Synchronisierung hängt")

    ids = [report(wired, text, "de", seed=10 + n) for n, text in enumerate(DE_PDF)]
    ids += [report(wired, text, "en", seed=20 + n) for n, text in enumerate(EN_PDF)]
    cluster = cluster_of(wired, ids[0])
    assert cluster.id == first.id and cluster_of(wired, wrong).id == first.id  # it is still in there

    german = cluster.titles["de"]
    assert german["feedback_id"] in ids[:3] and "PDF" in german["text"], cluster.titles
    assert "Synchronisierung" not in titles.title_for(cluster, "de")
    assert cluster.titles["en"]["feedback_id"] in ids[3:]


def test_titles_stay_across_reclustering_while_the_content_does(wired):
    ids = [report(wired, text, "en", seed=n) for n, text in enumerate(EN_PDF)]
    ids += [report(wired, text, "de", seed=10 + n) for n, text in enumerate(DE_PDF)]
    report(wired, "Login fails after the update", "en", seed=30, problem=1)
    before = cluster_of(wired, ids[0]).titles

    for _ in range(2):
        with session_scope(wired.database_url) as session:
            recluster(session=session, team="product", settings=wired)
        assert cluster_of(wired, ids[0]).titles == before

    # The same problem reported again: the title's report is still among the most representative.
    ids.append(report(wired, "PDF export crashes again after the latest update.", "en", seed=40))
    assert cluster_of(wired, ids[0]).titles == before


def test_a_managers_name_wins_in_every_language_until_given_back(wired, fake_jira_cloud, api, auth):
    ids = [report(wired, text, "en", seed=n) for n, text in enumerate(EN_PDF)]
    ids += [report(wired, text, "de", seed=10 + n) for n, text in enumerate(DE_PDF)]
    cluster_id = cluster_of(wired, ids[0]).id
    manager = auth["manager"]

    renamed = api.patch(f"/v1/clusters/{cluster_id}", json={"title": "PDF export crash"}, headers=manager)
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["title"], renamed.json()["title_locked"]) == ("PDF export crash", True)
    ids.append(report(wired, "PDF export still crashes", "en", seed=50))
    with session_scope(wired.database_url) as session:
        recluster(session=session, team="product", settings=wired)
    cluster = cluster_of(wired, ids[0])
    assert [titles.title_for(cluster, lang) for lang in ("en", "de", "fr")] == ["PDF export crash"] * 3
    deliver(wired)
    [issue] = [i for i in fake_jira_cloud.issues if "fr-cluster" in i.fields["labels"]]
    assert issue.fields["summary"] == "[7 reports] PDF export crash"

    back = api.patch(f"/v1/clusters/{cluster_id}", json={"title": None}, headers=manager)
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["title_locked"] is False and body["title"] != "PDF export crash"
    assert set(body["titles"]) == {"en", "de"} and body["title"] == body["titles"]["en"]["text"]
    assert "PDF" in body["titles"]["de"]["text"]
    for nonsense in ({"title": ""}, {"title": "x" * 201}, {}, {"title": 5}):
        answer = api.patch(f"/v1/clusters/{cluster_id}", json=nonsense, headers=manager)
        assert answer.status_code == 422 and answer.json().get("detail"), (nonsense, answer.text)


def test_a_title_from_a_report_with_an_iban_and_a_phone_number_leaks_neither(wired, fake_jira_cloud):
    text = f"Refund to {IBAN} failed and the export crashes, call me at {PHONE} please."
    ids = [report(wired, text, "en", seed=n) for n in range(3)]  # every report: any one may name it
    cluster = cluster_of(wired, ids[0])
    deliver(wired)
    [issue] = [i for i in fake_jira_cloud.issues if "fr-cluster" in i.fields["labels"]]
    for shown in (cluster.title, titles.title_for(cluster, "en"), issue.fields["summary"]):
        assert leaked(IBAN, shown) == [] and leaked(PHONE, shown) == [], shown
        assert len(shown.removeprefix("[3 reports] ")) <= 80
    assert "export crashes" in cluster.title


def test_a_german_digest_names_clusters_in_german_and_an_english_one_in_english(wired, api, auth):
    en = [report(wired, text, "en", seed=n) for n, text in enumerate(EN_PDF)]
    de = [report(wired, text, "de", seed=10 + n) for n, text in enumerate(DE_PDF)]
    cluster = cluster_of(wired, en[0])
    now = utcnow()
    period = {
        "period_start": (now - timedelta(days=1)).isoformat(),
        "period_end": (now + timedelta(days=1)).isoformat(),
    }
    markdown = {}
    for language in ("en", "de"):
        drafted = api.post("/v1/digests", json={"language": language, **period}, headers=auth["manager"])
        assert drafted.status_code == 201, drafted.text
        markdown[language] = drafted.json()["markdown"]
        [theme] = drafted.json()["sections"]["themes"]
        assert theme["title"] == titles.title_for(cluster, language)
    english, german = titles.title_for(cluster, "en"), titles.title_for(cluster, "de")
    assert english != german and de
    assert english in markdown["en"] and german not in markdown["en"]
    assert german in markdown["de"] and english not in markdown["de"]
    with session_scope(wired.database_url) as session:
        assert session.scalar(select(Cluster.titles).where(Cluster.id == cluster.id))["de"]["text"] == german
