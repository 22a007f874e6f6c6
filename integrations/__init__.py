"""Adapters to the outside world (Jira, Slack, Discourse, webhooks) behind small interfaces.

No database and no classifiers here. The built-in board needs our database, so it lives in
``feedback_router.tickets``; external sinks arrive with the ticketing work.
"""
