"""Knowledge base: articles, their versions, readers' feedback."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from relais.core.models import TimeStampedModel


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    AGENTS = "agents", _("Service desk only")


# Which state may follow which; anything else is refused with a message.
TRANSITIONS: dict[str, frozenset[str]] = {
    ArticleState.DRAFT: frozenset({ArticleState.REVIEW, ArticleState.PUBLISHED}),
    ArticleState.REVIEW: frozenset({ArticleState.DRAFT, ArticleState.PUBLISHED}),
    ArticleState.PUBLISHED: frozenset({ArticleState.DRAFT, ArticleState.ARCHIVED}),
    ArticleState.ARCHIVED: frozenset({ArticleState.DRAFT, ArticleState.PUBLISHED}),
}


class Article(TimeStampedModel):
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("content (Markdown)"))
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ArticleState.choices, default=ArticleState.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="kb_articles",
    )
    review_by = models.DateField(_("review by"), null=True, blank=True)
    review_reminded_on = models.DateField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    related = models.ManyToManyField("self", verbose_name=_("related articles"), blank=True)
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("written from ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    external_id = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    useful_count = models.PositiveIntegerField(default=0, editable=False)
    not_useful_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["state", "audience"], name="kb_article_state_aud")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("kb:detail", args=[self.pk])


class ArticleVersion(models.Model):
    """The article as it was saved: one row per save, so any two can be compared."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    tags = models.JSONField(default=list)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(_("change summary"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"


class ArticleFeedback(models.Model):
    """Answers to "was this useful?": one per reader and article (the latest counts)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    useful = models.BooleanField()
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="kb_feedback_once")]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.useful else '-'}"


class ArticleDailyViews(models.Model):
    """Views of a published article on one local day (`kb.services.article_viewed`), so that
    the reports count the views of any period. Rows start at the upgrade that added them:
    the views counted before (`Article.view_count`) are not dated."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="daily_views")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "day"], name="kb_daily_views_once")
        ]
        # The reports sum a period's views per article from this index alone.
        indexes = [models.Index(fields=["day", "article", "views"], name="kb_daily_views_day")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.day}: {self.views}"


class ArticleImage(models.Model):
    """An image shown in an article: a raster file verified by its bytes, stored under a
    random name, served only through the permission-checked view (inline)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    storage_name = models.CharField(max_length=200, editable=False)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("kb:image", args=[self.pk])

    def markdown(self) -> str:
        alt = self.original_name.rsplit(".", 1)[0].replace("[", "").replace("]", "")
        return f"![{alt}]({self.get_absolute_url()})"
