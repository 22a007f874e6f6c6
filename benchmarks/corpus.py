"""Plausible, varied community feedback: templates x products x issues, reproducible by seed."""

import json
import random
from pathlib import Path
from typing import Any

PRODUCTS = [
    "the Android app", "the iOS app", "the web dashboard", "Notely", "the desktop client", "PayFlow",
    "the smart thermostat", "the Tracker watch", "the public API", "the checkout", "the forum",
    "the Linux build", "the browser extension", "Streamly", "the router firmware", "the game launcher",
]  # fmt: skip
PLATFORMS = [
    "Android 14", "iOS 17.4", "a Pixel 8", "an iPad Air", "Windows 11", "macOS Sonoma", "Ubuntu 24.04",
    "Chrome", "Firefox", "Safari", "a Galaxy S23", "ChromeOS",
]  # fmt: skip
VERSIONS = ["2.4", "2.4.1", "3.0", "3.0.2", "3.1 beta", "5.12", "the latest", "last week's"]
ACTIONS = [
    "upload a photo", "export to PDF", "log in with Google", "switch accounts", "open the settings",
    "sync my notes", "pay with PayPal", "share a playlist", "rotate the screen", "search for a user",
    "attach a file", "change the language", "enable dark mode", "restore a backup", "scan a QR code",
]  # fmt: skip
FAILURES = [
    "crashes", "freezes", "shows a blank screen", "logs me out", "throws error 500",
    "hangs on the spinner forever", "duplicates every entry", "drains the battery", "loses my draft",
    "shows the wrong total", "gets stuck at 99%", "says 'something went wrong'",
]  # fmt: skip
FEATURES = [
    "dark mode", "offline mode", "two-factor login", "a CSV export", "keyboard shortcuts",
    "shared folders", "a widget for the home screen", "bulk editing", "Apple Pay", "a public roadmap",
    "custom themes", "an undo button", "calendar sync", "screen reader support", "a family plan",
]  # fmt: skip
TASKS = [
    "cancel my subscription", "change my email address", "download my invoices", "add a second user",
    "move my data to a new phone", "turn off notifications", "get a refund", "reset my password",
    "connect it to Home Assistant", "delete my account", "find the API token", "join the beta",
]  # fmt: skip
PRAISE = [
    "is fantastic", "just works", "saved my week", "is so much faster now", "is a joy to use",
    "finally feels polished", "is the best I've tried",
]  # fmt: skip
COMPLAINTS = [
    "is getting worse with every update", "feels slow and bloated", "is way too expensive now",
    "has become confusing", "keeps nagging me to upgrade", "is full of ads now",
]  # fmt: skip
TOPICS = [
    "the meetup in Berlin", "the community call on Thursday", "the new forum rules", "the hackathon",
    "the Discord server", "the holiday opening hours",
]  # fmt: skip
SUFFIXES = ["", "", "", "", " Thanks!", " (sent from my phone)", " Cheers, Sam"]
KIND_SUFFIXES = {
    "bug_report": [
        " Please fix this asap.",
        " This is the third time this month.",
        " Happens every single time.",
    ],
    "feature_request": [" 🙏", " Pretty please!", " Happy to beta test it."],
    "question": [" Any ideas?", " Not sure if this is the right place to post this."],
    "praise": [" Love you guys ❤️", " 🙌", " Keep it up!"],
    "criticism": [" #frustrated", " Really disappointed."],
    "abuse": ["!!!"],
    "other": [" 😄"],
}
SOURCES = ["forum", "forum", "twitter", "email", "app_review", "slack", "api", "facebook", "youtube"]

TEMPLATES: dict[str, list[str]] = {
    "bug_report": [
        "{product} {failure} when I {action} on {platform}.",
        "Since {version} update, {product} {failure} every time I try to {action}.",
        "Bug: {action} -> {product} {failure}. Device: {platform}.",
        "whenever i {action} {product} just {failure}",
        "Steps: open {product}, {action}. Expected: works. Actual: it {failure}. {platform}, {version} build",
    ],
    "feature_request": [
        "Would love to see {feature} in {product}.",
        "Please add {feature} to {product}, it's the one thing I miss.",
        "Any chance {product} gets {feature} soon? Would make {task_ing} so much easier.",
        "Feature request: {feature} for {product} on {platform}.",
        "It would be great if {product} let me {action} with {feature}.",
    ],
    "question": [
        "How do I {task} in {product}?",
        "Quick question: can I {task} from {platform}?",
        "Does {product} support {feature}? Couldn't find it in the docs.",
        "Where do I go to {task}? {product} doesn't show the option anywhere.",
        "Is there a way to {action} in {product} without losing my data?",
    ],
    "praise": [
        "{product} {praise}. Great job, team!",
        "Just wanted to say {feature} in {product} {praise}.",
        "Update {version} {praise}, thank you for listening to us.",
        "Huge thanks to support, they helped me {task} in five minutes.",
        "Been using {product} on {platform} for a year and it {praise}.",
    ],
    "criticism": [
        "{product} {complaint}.",
        "Honestly {product} {complaint}. I'm looking at alternatives.",
        "Since {version} update {product} {complaint} and support never answers.",
        "Not happy: {product} {complaint}, and {feature} is still missing.",
    ],
    "abuse": [
        "Whoever built {product} is a complete idiot.",
        "you people are useless clowns, fix {product} or shut it down",
        "Worst garbage company ever, your devs should be fired. {product} is trash.",
    ],
    "other": [
        "Is anyone else going to {topic}?",
        "Reminder about {topic}, see you there!",
        "What do you all think about {topic}?",
        "Off topic, but does anyone have a recommendation for a good podcast?",
        "Test post, please ignore.",
    ],
}
KIND_WEIGHTS = {
    "bug_report": 30, "feature_request": 20, "question": 18, "praise": 14,
    "criticism": 10, "abuse": 3, "other": 5,
}  # fmt: skip


def _fill(kind: str, template: str, rng: random.Random) -> str:
    task = rng.choice(TASKS)
    values = {
        "product": rng.choice(PRODUCTS),
        "platform": rng.choice(PLATFORMS),
        "version": rng.choice(VERSIONS),
        "action": rng.choice(ACTIONS),
        "failure": rng.choice(FAILURES),
        "feature": rng.choice(FEATURES),
        "task": task,
        "task_ing": "trying to " + task,
        "praise": rng.choice(PRAISE),
        "complaint": rng.choice(COMPLAINTS),
        "topic": rng.choice(TOPICS),
    }
    text = template.format(**values)
    text = text[0].upper() + text[1:] if rng.random() > 0.15 else text.lower()
    return text + rng.choice(SUFFIXES + KIND_SUFFIXES[kind])


def generate(count: int, *, seed: int = 42, prefix: str = "bench") -> list[dict[str, Any]]:
    """``count`` feedback records in the API's shape, each text distinct; the intended kind is in metadata."""
    rng = random.Random(seed)
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    seen: set[str] = set()
    records: list[dict[str, Any]] = []
    while len(records) < count:
        kind = rng.choices(kinds, weights)[0]
        text = _fill(kind, rng.choice(TEMPLATES[kind]), rng)
        if text in seen:
            continue
        seen.add(text)
        number = len(records)
        records.append({
            "text": text,
            "source": rng.choice(SOURCES),
            "external_id": f"{prefix}-{number}",
            "author": {"handle": f"member{rng.randrange(1, 400)}"},
            "metadata": {"generated_kind": kind},
        })  # fmt: skip
    return records


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
