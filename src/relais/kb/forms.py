from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from relais.core.widgets import FastSelect
from relais.kb.models import Audience
from relais.tickets.models import Category


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Content"),
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Markdown: **bold**, lists with “-” or “1.”, ## headings, [links](https://…)."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        widget=FastSelect,
    )
    tags = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas: the words staff would use (e.g. mdp, wifi)."),
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    review_by = forms.DateField(
        label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    summary = forms.CharField(label=_("What changed?"), required=False, max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]

    @classmethod
    def initial_for(cls, article: Any) -> dict[str, Any]:
        return {
            "title": article.title,
            "body": article.body,
            "category": article.category_id,
            "tags": ", ".join(article.tags or ()),
            "audience": article.audience,
            "review_by": article.review_by,
            "version": article.version,
        }


class FeedbackForm(forms.Form):
    useful = forms.TypedChoiceField(
        choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda v: v == "1"
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=2000, widget=forms.Textarea
    )
