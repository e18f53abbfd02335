from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import User
from relais.core.services import email_enqueue
from relais.core.text import render_text


class LoginForm(auth_forms.AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _(
            "Incorrect e-mail address or password. After 10 failed attempts the account is "
            "locked for a while."
        ),
        "inactive": _("This account is deactivated."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if settings.LDAP_ENABLED:
            # People sign in with their Windows (directory) account; local accounts with
            # their e-mail address.
            self.fields["username"] = forms.CharField(
                label=_("Windows account or e-mail address"),
                max_length=254,
                widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
            )
            self.error_messages = {
                **self.error_messages,
                "invalid_login": _(
                    "Incorrect account or password. After 10 failed attempts the account is "
                    "locked for a while."
                ),
            }


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Sends the reset link through the outbox, like every other e-mail."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_text(subject_template_name, context).splitlines())
        text = render_text(email_template_name, context)
        email_enqueue(to=[to_email], subject=subject, text=text)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Links point at the configured site, never at whatever Host header the request had.
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        super().save(*args, **kwargs)

    def get_users(self, email: str) -> Any:
        # People from the directory sign in with its password: a local one would outlive a
        # password change or lock-out there.
        return User.objects.filter(
            email__iexact=email, is_active=True, directory_login__isnull=True
        )


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Reporting script”."),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices, initial=TokenScope.READ)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=366, initial=90)


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or e-mail"), required=False, max_length=100)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6 digits shown by your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
