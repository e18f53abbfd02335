from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from relais.mail.choices import InboundStatus
from relais.mail.models import Mailbox
from relais.mail.services import MAILBOX_FIELDS
from relais.tickets.models import Category


class MailboxForm(forms.ModelForm):
    """The password is write-only: the field is always empty; leaving it empty keeps the
    stored one."""

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = Mailbox
        fields = list(MAILBOX_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(is_active=True)
        if self.instance.pk and self.instance.has_password:
            self.fields["password"].help_text = _(
                "A password is stored. Leave empty to keep it; type a new one to replace it."
            )
        else:
            self.fields["password"].help_text = _(
                "Or set RELAIS_IMAP_PASSWORD_<NAME> in the environment."
            )


class InboundFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *InboundStatus.choices], required=False
    )
    sender = forms.CharField(label=_("Sender"), required=False, max_length=254)
