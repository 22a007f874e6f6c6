"""Adapters to the outside world (Jira, Slack, Discourse, webhooks) behind small interfaces.

- :mod:`integrations.base`: the interfaces (``TicketSink``, ``TicketStatusSource``, ``Notifier``,
  ``CommunityPublisher``) and their pydantic models.
- :mod:`integrations.errors`: what failed and what to do next (retry, look up first, give up).
- :mod:`integrations.redact`: personal data out of texts before they leave.
- one subpackage per outside system: :mod:`integrations.jira`, :mod:`integrations.slack`,
  :mod:`integrations.discourse`, :mod:`integrations.webhook`; each has a pydantic config
  (``config_class``) and closes its connections on ``close()`` or at the end of a ``with`` block.
  Where the system also calls us (Jira and Discourse webhooks), its package checks the signature
  and parses the delivery.
- each subpackage's ``plugin`` module exports its descriptor (:class:`integrations.base.Integration`:
  settings model, routing sink model, outlet factory, capabilities), registered by an entry point in
  the ``feedback_router.integrations`` group; a third party's package registers its own the same way
  (``docs/integrations.md``).

No database and no classifiers here: the service imports this package, never the other way round.
The built-in board needs our database, so it lives in ``feedback_router.tickets``.
"""
