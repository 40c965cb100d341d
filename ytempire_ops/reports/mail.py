"""A report e-mailed over SMTP (smtplib): multipart/alternative, the plain text first, then the HTML.

The relay, its security, the login, the sender and the recipients come from the environment through
config.Settings (README, "Reports"). `mail_settings` checks them before anything connects: a missing
or malformed one is a BadValue (exit 2). `send` raises SmtpUnavailable (exit 6) when the server cannot
be reached or refuses TLS, the login, the sender or every recipient. The password never appears in a
message.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ytempire_ops import errors
from ytempire_ops.config import Settings

SECURITIES = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_SECURITY = "starttls"
TIMEOUT_SECONDS = 20
# One address: a local part and a domain with a dot, no spaces, no second @, no display name.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")


class SmtpUnavailable(errors.UserError):
    exit_code = errors.EXIT_SMTP_UNAVAILABLE


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    security: str
    user: str
    password: str
    sender: str
    recipients: tuple[str, ...]
    # a CA bundle that verifies the relay's certificate (a private CA); None: the system's
    ca_file: str | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def parse_recipients(value: str) -> tuple[str, ...]:
    """YTEMPIRE_REPORT_RECIPIENTS: addresses separated by commas; BadValue when none or one is malformed."""
    addresses = tuple(part.strip() for part in value.split(",") if part.strip())
    if not addresses:
        raise errors.BadValue(
            "YTEMPIRE_REPORT_RECIPIENTS is empty: give the report's recipients as comma-separated "
            "addresses; nothing was sent."
        )
    malformed = [address for address in addresses if not _ADDRESS.match(address)]
    if malformed:
        raise errors.BadValue(
            f"YTEMPIRE_REPORT_RECIPIENTS holds {len(malformed)} malformed address"
            f"{'es' if len(malformed) > 1 else ''} ({', '.join(repr(a) for a in malformed)}): give "
            "comma-separated addresses like analyst@example.com; nothing was sent."
        )
    return addresses


def mail_settings(settings: Settings) -> MailSettings:
    """The checked SMTP settings and recipients; BadValue naming the first one missing or malformed."""
    recipients = parse_recipients(settings.report_recipients)
    if not settings.smtp_host:
        raise errors.BadValue("YTEMPIRE_SMTP_HOST is not set: name the SMTP relay; nothing was sent.")
    security = (settings.smtp_security or DEFAULT_SECURITY).lower()
    if security not in SECURITIES:
        raise errors.BadValue(
            f"YTEMPIRE_SMTP_SECURITY {settings.smtp_security!r} is not one of {', '.join(SECURITIES)}; "
            "nothing was sent."
        )
    port = SECURITIES[security]
    if settings.smtp_port:
        try:
            port = int(settings.smtp_port)
        except ValueError:
            port = 0
        if not 1 <= port <= 65535:
            raise errors.BadValue(
                f"YTEMPIRE_SMTP_PORT {settings.smtp_port!r} is not a port number (1-65535); nothing was sent."
            )
    sender = settings.smtp_from
    if not sender or not _ADDRESS.match(sender):
        raise errors.BadValue(
            "YTEMPIRE_SMTP_FROM is "
            + (f"not an address ({sender!r})" if sender else "not set")
            + ": give the sender like reports@example.com; nothing was sent."
        )
    ca_file = settings.smtp_ca_file or None
    if ca_file and not os.path.isfile(ca_file):
        raise errors.BadValue(f"YTEMPIRE_SMTP_CA_FILE {ca_file!r} is not a file; nothing was sent.")
    if settings.smtp_password and not settings.smtp_user:
        raise errors.BadValue("YTEMPIRE_SMTP_PASSWORD is set without YTEMPIRE_SMTP_USER; nothing was sent.")
    return MailSettings(
        host=settings.smtp_host,
        port=port,
        security=security,
        user=settings.smtp_user,
        password=settings.smtp_password,
        sender=sender,
        recipients=recipients,
        ca_file=ca_file,
    )


def message(subject: str, sender: str, recipients: tuple[str, ...], text: str, html: str) -> EmailMessage:
    """multipart/alternative: text/plain, then text/html (the part a mail client prefers when it can)."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = Address(addr_spec=sender)
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1])
    mail.set_content(text, subtype="plain", charset="utf-8")
    mail.add_alternative(html, subtype="html", charset="utf-8")
    return mail


def send(config: MailSettings, mail: EmailMessage) -> list[str]:
    """Deliver the message to every recipient; the recipients the server accepted.

    SmtpUnavailable when the server cannot be reached or refuses TLS, the login, the sender or every
    recipient (a recipient refused among others accepted is left out of the returned list).
    """
    try:
        context = ssl.create_default_context(cafile=config.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise errors.BadValue(
            f"YTEMPIRE_SMTP_CA_FILE cannot be read as certificates ({errors.first_line(exc)}); nothing was sent."
        ) from None
    where = config.where
    try:
        if config.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_SECONDS)
        with client:
            client.ehlo()
            if config.security == "starttls":
                if not client.has_extn("starttls"):
                    raise SmtpUnavailable(
                        f"the SMTP server at {where} does not offer STARTTLS (YTEMPIRE_SMTP_SECURITY=starttls); "
                        "the report was not e-mailed."
                    )
                client.starttls(context=context)
                client.ehlo()
            if config.user:
                client.login(config.user, config.password)
            refused = client.send_message(mail, from_addr=config.sender, to_addrs=list(config.recipients))
    except SmtpUnavailable:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpUnavailable(
            f"the SMTP server at {where} refused the login of {config.user!r} ({_reply(exc)}); "
            "the report was not e-mailed."
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise SmtpUnavailable(
            f"the SMTP server at {where} refused every recipient ({', '.join(exc.recipients)}); "
            "the report was not e-mailed."
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise SmtpUnavailable(
            f"the SMTP server at {where} refused the sender {config.sender} ({_reply(exc)}); "
            "the report was not e-mailed."
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SmtpUnavailable(
            f"the SMTP server at {where} does not support what the settings ask ({errors.first_line(exc)}); "
            "the report was not e-mailed."
        ) from None
    except smtplib.SMTPException as exc:
        raise SmtpUnavailable(
            f"the SMTP server at {where} failed ({_reply(exc)}); the report was not e-mailed."
        ) from None
    except ssl.SSLError as exc:
        raise SmtpUnavailable(
            f"TLS with the SMTP server at {where} failed ({exc.reason or errors.first_line(exc)}); "
            "the report was not e-mailed."
        ) from None
    except TimeoutError:
        raise SmtpUnavailable(
            f"the SMTP server at {where} did not answer within {TIMEOUT_SECONDS} s; the report was not e-mailed."
        ) from None
    except OSError as exc:
        raise SmtpUnavailable(
            f"cannot reach the SMTP server at {where} ({exc.strerror or errors.first_line(exc)}); "
            "the report was not e-mailed."
        ) from None
    return [address for address in config.recipients if address not in refused]


def _reply(exc: smtplib.SMTPException) -> str:
    """An SMTP error as the server's code and text."""
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    text = " ".join(str(text).split())
    return f"{code} {text}".strip() if code else (text or errors.first_line(exc))
