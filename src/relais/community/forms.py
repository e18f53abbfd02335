from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from relais.community.choices import FlagReason, ModerationAction
from relais.core.widgets import FastSelect
from relais.tickets.models import Category

MARKDOWN_HELP = _("Markdown: **bold**, lists with “-” or “1.”, `code`, [links](https://…).")

# What a moderator may do from the question page (closing has its own form: duplicates).
MODERATION_ACTIONS = [
    (ModerationAction.HIDE, ModerationAction.HIDE.label),
    (ModerationAction.UNHIDE, ModerationAction.UNHIDE.label),
    (ModerationAction.LOCK, ModerationAction.LOCK.label),
    (ModerationAction.UNLOCK, ModerationAction.UNLOCK.label),
    (ModerationAction.DELETE, ModerationAction.DELETE.label),
]


def split_tags(raw: str) -> list[str]:
    seen: list[str] = []
    for tag in raw.split(","):
        tag = " ".join(tag.split()).lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


class QuestionForm(forms.Form):
    title = forms.CharField(
        label=_("Your question in one sentence"),
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "data-suggest": reverse_lazy("search:suggest"),
                "data-suggest-context": "question",
                "data-suggest-target": "similar",
            }
        ),
    )
    body = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=MARKDOWN_HELP,
    )
    tags = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=300,
        help_text=_("Separated by commas (e.g. excel, teams, printer)."),
    )
    category = forms.ModelChoiceField(
        label=_("Category or application (optional)"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        widget=FastSelect,
    )

    def clean_tags(self) -> list[str]:
        tags = split_tags(self.cleaned_data.get("tags", ""))
        if len(tags) > 5:
            raise forms.ValidationError(_("Five keywords at most."))
        if any(len(tag) > 40 for tag in tags):
            raise forms.ValidationError(_("A keyword has 40 characters at most."))
        return tags


class QuestionEditForm(QuestionForm):
    summary = forms.CharField(label=_("What changed?"), required=False, max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, question: Any) -> dict[str, Any]:
        return {
            "title": question.title,
            "body": question.body,
            "tags": ", ".join(question.tags or ()),
            "category": question.category_id,
            "version": question.version,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No similar questions while editing one's own.
        self.fields["title"].widget.attrs = {"autocomplete": "off"}


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=MARKDOWN_HELP,
    )
    as_it = forms.BooleanField(label=_("Answer as the IT service desk"), required=False)

    def __init__(self, *args: Any, allow_as_it: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not allow_as_it:
            del self.fields["as_it"]


class AnswerEditForm(forms.Form):
    body = forms.CharField(
        label=_("Answer"), widget=forms.Textarea(attrs={"rows": 10}), help_text=MARKDOWN_HELP
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=600, widget=forms.Textarea(attrs={"rows": 2})
    )


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=FlagReason.choices)
    note = forms.CharField(label=_("Details (optional)"), required=False, max_length=500)


class ModerationForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=MODERATION_ACTIONS)
    reason = forms.CharField(label=_("Reason (logged)"), max_length=300)


class DuplicateForm(forms.Form):
    original = forms.IntegerField(
        label=_("Number of the original question"),
        min_value=1,
        help_text=_("The number in its address: /entraide/questions/<number>/"),
    )


class FlagDecisionForm(forms.Form):
    """The moderation queue: dismiss a flag (the post stays) or hide its post (reason
    required, logged)."""

    RESOLVE = "resolve"
    HIDE = "hide"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(RESOLVE, _("Dismiss the flag")), (HIDE, _("Hide the post"))],
    )
    reason = forms.CharField(label=_("Reason (logged)"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == self.HIDE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason."))
        return data
