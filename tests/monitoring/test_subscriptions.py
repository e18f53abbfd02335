"""Status-page subscribers hear of maintenance windows (when announced and when they start)
and of public incident updates: through the outbox, in their language, HTML escaped."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from relais.accounts.models import User
from relais.core.choices import OutboxKind
from relais.core.models import OutboxMessage
from relais.monitoring import services
from relais.monitoring.models import Maintenance, Service, Subscription
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 21, 0, tzinfo=timezone.get_fixed_timezone(0))
TITLE = "Migration <script>window.__xss=1</script> & co"


def subscribe(email: str, language: str) -> Subscription:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # the page's language switcher
    client.post("/veille/statut-public/abonnement/", {"email": email})
    subscription = Subscription.objects.get(email=email)
    services.subscription_confirm(token=subscription.token)
    return subscription


@pytest.fixture
def subscribers(db: Any) -> dict[str, Subscription]:
    subs = {
        "fr": subscribe("locataire@exemple.fr", "fr"),
        "en": subscribe("tenant@example.org", "en"),
    }
    OutboxMessage.objects.all().delete()  # the confirmation mails
    return subs


def mails() -> dict[str, dict[str, Any]]:
    return {
        m.payload["to"][0]: m.payload
        for m in OutboxMessage.objects.filter(kind=OutboxKind.EMAIL).order_by("id")
    }


def announce(admin: User, service: Service, starts_at: datetime) -> Maintenance:
    return services.maintenance_create(
        actor=admin,
        title=TITLE,
        services=[service],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        description="Coupure <b>courte</b>.",
    )


def test_subscribers_keep_the_language_of_the_page(subscribers: dict[str, Subscription]) -> None:
    assert (subscribers["fr"].language, subscribers["en"].language) == ("fr", "en")


def test_a_planned_maintenance_is_mailed_in_each_language_and_escaped(
    admin_user: User, vpn_service: Service, subscribers: dict[str, Subscription]
) -> None:
    announce(admin_user, vpn_service, timezone.now() + timedelta(days=2))
    sent = mails()
    assert set(sent) == {"locataire@exemple.fr", "tenant@example.org"}
    fr, en = sent["locataire@exemple.fr"], sent["tenant@example.org"]
    assert fr["subject"] == f"Maintenance prévue : {TITLE}"
    assert en["subject"] == f"Planned maintenance: {TITLE}"
    assert "Une maintenance est prévue" in fr["text"] and "VPN" in fr["text"]
    assert "A maintenance is planned" in en["text"]
    # Text as typed; HTML escaped (no markup of the administrator's reaches the page).
    assert TITLE in fr["text"] and "<b>courte</b>" in fr["text"]
    assert "<script>" not in fr["html"] and "<b>" not in fr["html"]
    assert "Migration &lt;script&gt;window.__xss=1&lt;/script&gt; &amp; co" in fr["html"]
    assert fr["headers"]["List-Unsubscribe"].endswith(f"/{subscribers['fr'].token}/desabonner/>")
    assert subscribers["en"].token not in fr["text"] + fr["html"]


def test_the_start_is_announced_once(
    admin_user: User, vpn_service: Service, subscribers: dict[str, Subscription]
) -> None:
    maintenance = announce(admin_user, vpn_service, START)
    OutboxMessage.objects.all().delete()
    assert services.maintenances_announce_started(now=START - timedelta(minutes=1)) == 0
    assert services.maintenances_announce_started(now=START + timedelta(minutes=1)) == 1
    assert services.maintenances_announce_started(now=START + timedelta(minutes=2)) == 0
    sent = mails()
    assert sent["tenant@example.org"]["subject"] == f"Maintenance in progress: {TITLE}"
    assert sent["locataire@exemple.fr"]["subject"] == f"Maintenance en cours : {TITLE}"
    maintenance.refresh_from_db()
    assert maintenance.start_announced_at == START + timedelta(minutes=1)


def test_a_window_on_private_services_only_is_not_mailed(
    admin_user: User, subscribers: dict[str, Subscription]
) -> None:
    private = services.service_create(actor=admin_user, data={"name": "Sauvegardes"})
    announce(admin_user, private, timezone.now() + timedelta(days=1))
    assert mails() == {}


def test_mails_leave_through_the_outbox_after_commit(
    admin_user: User,
    vpn_service: Service,
    subscribers: dict[str, Subscription],
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        announce(admin_user, vpn_service, timezone.now() + timedelta(days=2))
    delivered = {str(m["To"]): m for m in smtp_server.messages}
    english = delivered["tenant@example.org"]
    assert english["Subject"] == f"Planned maintenance: {TITLE}"
    html = english.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html
