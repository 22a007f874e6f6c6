"""The labels the classifiers give; importing this loads no model code."""

KINDS = ("praise", "criticism", "question", "bug_report", "feature_request", "abuse", "other")
SENTIMENTS = ("negative", "neutral", "positive")
URGENCIES = ("low", "normal", "high")
# The tasks that have a trained head and can be corrected by a manager.
TASKS = ("kind", "sentiment", "abuse", "topic")
NO_TOPIC = "none"  # the topic label of examples that belong to no topic
