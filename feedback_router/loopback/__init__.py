"""Closing the loop: ticket status flows back from Jira, authors hear when their report is resolved,
and Discourse posts come in as feedback."""
