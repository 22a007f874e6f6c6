"""E-mail's descriptor for the ``feedback_router.integrations`` entry point: settings only, since
routing files do not send to authors (notices do)."""

from integrations.base import Integration
from integrations.mail.sender import MailSettings

INTEGRATION = Integration(
    name="mail", title="E-mail", settings=MailSettings, capabilities=frozenset({"mail"})
)
