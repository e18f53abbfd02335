from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from relais.core.widgets import FastSelect, FastSelectMultiple
from relais.kb.models import Article, ArticleState, Audience
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
    related = forms.ModelMultipleChoiceField(
        label=_("Related articles"),
        queryset=Article.objects.none(),
        required=False,
        widget=FastSelectMultiple,
        help_text=_("Published articles of the same category (hold Ctrl to choose several)."),
    )
    summary = forms.CharField(label=_("What changed?"), required=False, max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    RELATED_CHOICES_MAX = 200

    def __init__(self, *args: Any, article: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["related"]
        if article is None:
            del self.fields["related"]
            return
        candidates = Article.objects.filter(state=ArticleState.PUBLISHED).exclude(pk=article.pk)
        if article.category_id:
            candidates = candidates.filter(category_id=article.category_id)
        candidates = candidates.only("id", "title").order_by("-view_count", "pk")[
            : self.RELATED_CHOICES_MAX
        ]
        ids = [a.pk for a in candidates] + list(article.related.values_list("pk", flat=True))
        field.queryset = Article.objects.filter(pk__in=ids).only("id", "title").order_by("title")  # type: ignore[attr-defined]
        field.widget.choices = [(a.pk, a.title) for a in field.queryset]  # type: ignore[attr-defined]

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
            "related": [str(pk) for pk in article.related.values_list("pk", flat=True)],
        }


class FeedbackForm(forms.Form):
    useful = forms.TypedChoiceField(
        choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda v: v == "1"
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=2000, widget=forms.Textarea
    )
