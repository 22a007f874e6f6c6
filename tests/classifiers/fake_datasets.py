"""A tiny datasets folder in the real file formats, with texts written for the tests.

Nothing here comes from the real datasets: the sentences are made up from templates, so the
tests never need the shared folder and never carry third-party text.
"""

import csv
import json
from pathlib import Path

SUBJECTS = ("the app", "the website", "the editor", "the sync", "the login page", "the export", "the search")

BANKING = {
    "card_arrival": ("When will {s} send my new card?", "My card from {s} has not arrived yet"),
    "exchange_rate": ("What exchange rate does {s} use?", "Is the currency rate in {s} fair?"),
    "lost_card": ("I lost my card, can {s} block it?", "Someone stole my card, help me with {s}"),
}
REVIEWS = {
    "BUG": ("{s} crashes every time I open it", "Since the update {s} freezes and shows an error"),
    "FEATURE": ("Please add a dark mode to {s}", "I wish {s} could export to PDF"),
    "OTHER": ("I love {s}, five stars", "Great job on {s}, thank you"),
}
SENTIMENT = {
    "negative": ("I hate how {s} behaves today", "{s} ruined my whole day"),
    "neutral": ("{s} was updated on Tuesday", "Reading about {s} this morning"),
    "positive": ("{s} is wonderful, so happy", "Loving {s} right now"),
}
OFFENSIVE = {
    "not-offensive": ("Watching a match and thinking about {s}", "Had a nice lunch near {s}"),
    "offensive": ("whoever built {s} is a stupid idiot", "shut up about {s} you moron"),
}
ISSUES = {
    "bug_report": ("{s} crashes when I press save", "Error 500 from {s} after the upgrade"),
    "feature_request": ("Please add an option to {s} for exporting", "It would be great if {s} had tags"),
    "question": ("How do I configure {s} for two users?", "Where can I find the settings of {s}?"),
}
FORUM_SENTIMENT_DE = {
    "negative": ("{s} ist eine Zumutung, furchtbar", "Ich ärgere mich jeden Tag über {s}"),
    "neutral": ("{s} wurde am Dienstag aktualisiert", "Ich nutze {s} seit einem Jahr"),
    "positive": ("{s} ist großartig, danke", "Super gelöst mit {s}, vielen Dank"),
}
GERMEVAL = {
    "OTHER": ("Schönes Wetter heute, {s} läuft gut", "Wir sehen uns morgen bei {s}"),
    "OFFENSE": ("Ihr seid alle Idioten, {s} ist Müll", "Halt die Klappe, {s} Vollpfosten"),
}


def texts(templates: dict[str, tuple[str, ...]], per_class: int, offset: int = 0) -> list[tuple[str, str]]:
    """``per_class`` distinct (text, label) pairs per label; ``offset`` gives other texts."""
    rows = []
    for label, patterns in templates.items():
        for i in range(offset, offset + per_class):
            subject = SUBJECTS[i % len(SUBJECTS)]
            pattern = patterns[(i // len(SUBJECTS)) % len(patterns)]
            rows.append((f"{pattern.format(s=subject)} (#{i})", label))
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_tweeteval(folder: Path, mapping: list[str], splits: dict[str, list[tuple[str, str]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mapping.txt").write_text(
        "".join(f"{i}\t{name}\n" for i, name in enumerate(mapping)), encoding="utf-8"
    )
    for split, rows in splits.items():
        (folder / f"{split}_text.txt").write_text("".join(f"{t} \n" for t, _ in rows), encoding="utf-8")
        (folder / f"{split}_labels.txt").write_text(
            "".join(f"{mapping.index(label)}\n" for _, label in rows), encoding="utf-8"
        )


def write_fake_datasets(root: Path) -> Path:
    """Write the folder and return it; every loader and task of the suite can read it."""
    banking_train, banking_test = texts(BANKING, 12), texts(BANKING, 4, offset=12)
    write_csv(root / "banking77" / "train.csv", ["text", "category"], [list(r) for r in banking_train])
    write_csv(root / "banking77" / "test.csv", ["text", "category"], [list(r) for r in banking_test])

    reviews = texts(REVIEWS, 10)
    reviews[0] = ('It says "error 42", then, it crashes\nand closes', "BUG")  # quotes, commas, a newline
    write_csv(
        root / "clap_app_reviews" / "clap_rq1_3000_reviews.csv",
        ["id", "app", "version", "rating", "date", "device", "user", "review", "category"],
        [
            [str(i), "com.example.app", "1.0", "3", "1387756426967", "?", "A User", text, label]
            for i, (text, label) in enumerate(reviews, start=1)
        ],
    )

    write_tweeteval(
        root / "tweeteval" / "sentiment",
        list(SENTIMENT),
        {"val": texts(SENTIMENT, 8), "test": texts(SENTIMENT, 4, offset=8)},
    )
    write_tweeteval(
        root / "tweeteval" / "offensive",
        list(OFFENSIVE),
        {"train": texts(OFFENSIVE, 8), "test": texts(OFFENSIVE, 4, offset=8)},
    )

    germeval = root / "germeval2018"
    germeval.mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("germeval2018.training.txt", texts(GERMEVAL, 8)),
        ("germeval2018.test.txt", texts(GERMEVAL, 4, offset=8)),
    ):
        fine = {"OTHER": "OTHER", "OFFENSE": "INSULT"}
        lines = [f"{text.replace(',', '|LBR|', 1)}\t{label}\t{fine[label]}\n" for text, label in rows]
        (germeval / name).write_text("".join(lines), encoding="utf-8")

    # sets normalised to our labels (classifiers/datasets_prepare.py writes the real ones)
    for name, templates in (("nlbse2024_issues", ISSUES), ("omp_sentiment_de", FORUM_SENTIMENT_DE)):
        (root / name).mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"text": text, "label": label}) + "\n" for text, label in texts(templates, 4)]
        (root / name / "test.jsonl").write_text("".join(lines), encoding="utf-8")
    # the learning curve's pool: other texts of the same kinds
    pool = [json.dumps({"text": text, "label": label}) + "\n" for text, label in texts(ISSUES, 8, offset=4)]
    (root / "nlbse2024_issues" / "train.jsonl").write_text("".join(pool), encoding="utf-8")
    return root
