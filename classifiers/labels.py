"""The labels the classifiers give; importing this loads no model code."""

KINDS = ("praise", "criticism", "question", "bug_report", "feature_request", "abuse", "other")
