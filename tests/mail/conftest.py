from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.core import faults
from relais.core.secrets import seal
from relais.mail.choices import Security
from relais.mail.models import Mailbox, MailReference
from relais.mail.outbound import forget_mailbox_addresses
from relais.tickets.models import Category, Ticket
from relais.tickets.services import TicketDraft, ticket_open
from tests.factories import UserFactory
from tests.imap import Dovecot, dovecot_available

CORPUS = Path(__file__).parent / "corpus"
DESK = "support@relais.test"
# The two outbound Message-IDs the corpus's replies quote (see corpus/manifest.yaml).
OUR_ACK_ID = "<o.3f2b8c1e-5d7a-4e19-9c3b-7a1d2e4f6b80@relais.test>"
OUR_REPLY_ID = "<o.9a4c7d2e-1b3f-4a5e-8c6d-0e2f4a6b8c01@relais.test>"


def corpus_bytes(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def manifest() -> list[dict[str, Any]]:
    return list(yaml.safe_load((CORPUS / "manifest.yaml").read_text(encoding="utf-8")))


@pytest.fixture(autouse=True)
def _mail_settings(settings: Any) -> Iterator[None]:
    settings.MAIL_DESK_ADDRESS = DESK
    settings.DEFAULT_FROM_EMAIL = f"Relais <{DESK}>"
    settings.EMAIL_MESSAGE_ID_DOMAIN = "relais.test"
    forget_mailbox_addresses()  # rolled-back mailboxes of earlier tests send no signal
    yield
    faults.disarm()


@pytest.fixture
def category(db: Any) -> Category:
    found = Category.objects.filter(is_active=True, parent__isnull=True).order_by("position")
    return found.first() or Category.objects.create(name="Connexion & VPN", default_type="incident")


@pytest.fixture
def claire(db: Any) -> User:
    return UserFactory(
        role=Role.COLLABORATOR, email="claire.martin@relais.test", display_name="Claire Martin"
    )


@pytest.fixture
def karim(db: Any) -> User:
    return UserFactory(
        role=Role.COLLABORATOR, email="karim.benali@relais.test", display_name="Karim Benali"
    )


@pytest.fixture
def sophie(db: Any) -> User:
    return UserFactory(
        role=Role.SUPERVISOR, email="sophie.agent@relais.test", display_name="Sophie Durand"
    )


@pytest.fixture
def ticket_a(claire: User, category: Category) -> Ticket:
    """Claire's ticket, with the two mails of ours that the corpus's replies answer."""
    ticket = ticket_open(
        actor=claire,
        draft=TicketDraft(
            category=category,
            title="Le VPN se coupe toutes les dix minutes",
            description="Depuis la mise à jour de lundi.",
        ),
    )
    for message_id in (OUR_ACK_ID, OUR_REPLY_ID):
        MailReference.objects.create(
            message_id=message_id, ticket=ticket, outbound=True, address=claire.email
        )
    return ticket


def build_mail(
    *,
    sender: str,
    subject: str = "Problème de VPN",
    body: str = "Bonjour,\n\nLe VPN ne se connecte plus depuis ce matin.\n\nClaire",
    to: str = DESK,
    message_id: str | None = "",
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    if message_id is not None:
        message["Message-ID"] = message_id or make_msgid(domain="client.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


@pytest.fixture
def make_mail() -> Callable[..., bytes]:
    return build_mail


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not dovecot_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot is required in CI (scripts/test-services.sh installs it).")
        pytest.skip("Dovecot is not installed (run scripts/test-services.sh)")
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def imap_mailbox(dovecot: Dovecot, category: Category, settings: Any) -> Mailbox:
    """A mailbox of Relais on the test's own IMAP account, over IMAPS."""
    settings.MAIL_IMAP_CA_FILE = str(dovecot.cert)
    user = dovecot.add_user()
    return Mailbox.objects.create(
        name=f"boite-{user[8:16]}",
        address=DESK,
        host="127.0.0.1",
        port=dovecot.tls_port,
        security=Security.IMAPS,
        username=user,
        password_sealed=seal(dovecot.users[user]),
        category=category,
    )


@pytest.fixture
def ingest_mail(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Ingest a raw message and deliver what it queued (acknowledgements) to the SMTP server."""
    from relais.mail.services import ingest

    def run(raw: bytes, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return ingest(raw, **kwargs)

    return run
