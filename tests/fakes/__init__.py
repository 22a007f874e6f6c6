"""Local, contract-faithful HTTP servers for the outside systems (Jira, Slack, Discourse, webhooks)."""
