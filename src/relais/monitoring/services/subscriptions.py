"""Status-page subscriptions by e-mail, with double opt-in and one-click unsubscribe."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.core.services import email_enqueue
from relais.monitoring.models import Subscription


def subscription_request(*, email: str) -> Subscription:
    """Send a confirmation link. Asking again re-sends it; the answer never tells whether the
    address was already subscribed."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Give a valid e-mail address.")}) from exc
    with transaction.atomic():
        subscription, _created = Subscription.objects.get_or_create(email=email)
        if subscription.confirmed_at is None:
            link = settings.SITE_URL + reverse("monitoring:confirm", args=[subscription.token])
            with translation.override(settings.LANGUAGE_CODE):
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
