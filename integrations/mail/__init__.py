"""E-mail to one person (an author told that their report was resolved) over SMTP.

Usage::

    from integrations.mail import MailConfig, MailSender

    with MailSender(MailConfig(host="smtp.example.org", sender="community@example.org")) as mail:
        mail.send("jane@example.org", "Your report was resolved", "Hi Jane, ...")
"""

from integrations.mail.sender import MailConfig, MailSender, MailSettings

__all__ = ["MailConfig", "MailSender", "MailSettings"]
