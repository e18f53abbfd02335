"""Status-page subscriptions by e-mail, with double opt-in and one-click unsubscribe, and the
mails subscribers receive (incident updates, maintenance windows): through the outbox, one
per subscriber in the language they subscribed in, as text and as escaped HTML."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.core.services import email_enqueue
from relais.core.text import render_text
from relais.monitoring.models import Maintenance, Subscription


def _language(language: str | None) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def subscription_request(*, email: str, language: str | None = None) -> Subscription:
    """Send a confirmation link. Asking again re-sends it; the answer never tells whether the
    address was already subscribed."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Give a valid e-mail address.")}) from exc
    language = _language(language)
    with transaction.atomic():
        subscription, _created = Subscription.objects.get_or_create(
            email=email, defaults={"language": language}
        )
        if subscription.confirmed_at is None:
            if subscription.language != language:
                subscription.language = language
                subscription.save(update_fields=["language"])
            link = settings.SITE_URL + reverse("monitoring:confirm", args=[subscription.token])
            with translation.override(language):
                email_enqueue(
                    to=[email],
                    subject=_("Confirm your subscription to the service status"),
                    text=_("To receive the service status updates, open this link: %(link)s")
                    % {"link": link},
                )
    return subscription


def subscription_confirm(*, token: str) -> Subscription | None:
    subscription = Subscription.objects.filter(token=token).first()
    if subscription is not None and subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    return subscription


def subscription_unsubscribe(*, token: str) -> bool:
    return Subscription.objects.filter(token=token).delete()[0] > 0


def subscribers_mail(*, template: str, context: dict[str, Any], subject: Callable[[], str]) -> int:
    """Mail every confirmed subscriber `template` (.txt without escaping, .html escaped), in
    their language; `subject` is called in it. Returns how many mails were queued."""
    page = settings.SITE_URL + reverse("monitoring:public")
    count = 0
    subscribers = Subscription.objects.filter(confirmed_at__isnull=False).only(
        "email", "token", "language"
    )
    for subscription in subscribers.iterator(chunk_size=500):
        unsubscribe = settings.SITE_URL + reverse(
            "monitoring:unsubscribe", args=[subscription.token]
        )
        values = {**context, "page": page, "unsubscribe": unsubscribe}
        with translation.override(_language(subscription.language)):
            email_enqueue(
                to=[subscription.email],
                subject=subject().replace("\n", " "),
                text=render_text(f"{template}.txt", values),
                html=render_to_string(f"{template}.html", values),
                headers={"List-Unsubscribe": f"<{unsubscribe}>"},
            )
        count += 1
    return count


def maintenance_announce(*, maintenance: Maintenance, event: str, at: datetime) -> int:
    """Tell the subscribers a maintenance window is planned (`event` "planned") or has started
    ("started"). Only windows touching public services are announced, naming only those."""
    names = [s.name for s in maintenance.services.all() if s.is_public]
    announced = {"announced_at": maintenance.announced_at or at}
    if event == "started":
        announced["start_announced_at"] = at
    Maintenance.objects.filter(pk=maintenance.pk).update(**announced)
    if not names:
        return 0
    title = maintenance.title
    return subscribers_mail(
        template="monitoring/email/maintenance",
        context={
            "event": event,
            "title": title,
            "description": maintenance.description,
            "starts_at": maintenance.starts_at,
            "ends_at": maintenance.ends_at,
            "service_names": sorted(names),
        },
        subject=lambda: (
            (
                _("Maintenance in progress: %(title)s")
                if event == "started"
                else _("Planned maintenance: %(title)s")
            )
            % {"title": title}
        ),
    )


def maintenances_announce_started(*, now: datetime | None = None) -> int:
    """Announce the windows that have started (run every minute; each is announced once)."""
    now = now or timezone.now()
    count = 0
    due = Maintenance.objects.filter(
        starts_at__lte=now, ends_at__gt=now, start_announced_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            maintenance = (
                Maintenance.objects.select_for_update()
                .filter(pk=pk, start_announced_at__isnull=True)
                .first()
            )
            if maintenance is not None:
                maintenance_announce(maintenance=maintenance, event="started", at=now)
                count += 1
    return count
