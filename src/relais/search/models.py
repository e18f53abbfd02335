"""The search index: one row per searchable object, analysed in Python (relais.search.analysis)
and indexed by the database's full-text engine (FTS5 on SQLite, tsvector + GIN on PostgreSQL,
both maintained by triggers created in this app's migrations)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Kinds whose entries share one set of corpus statistics and are ranked by relais.search.ranking.
KNOWLEDGE_KINDS = ("article", "question")


class SearchEntry(models.Model):
    kind = models.CharField(max_length=16)
    object_id = models.PositiveBigIntegerField()
    # Who may find it, beyond the owning app's policy: "everyone" or "agents" (desk only);
    # tickets are "private" and filtered through the ticket policy.
    audience = models.CharField(max_length=16, default="everyone")
    category_id = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)
    text = models.TextField(blank=True)  # plain text, for snippets
    url = models.CharField(max_length=300)
    terms_title = models.TextField(blank=True)
    terms_tags = models.TextField(blank=True)
    terms_body = models.TextField(blank=True)
    length_title = models.PositiveIntegerField(default=0)
    length_tags = models.PositiveIntegerField(default=0)
    length_body = models.PositiveIntegerField(default=0)
    # IndexDoc.scope_keys separated by spaces (PostgreSQL indexes them with the text).
    scope_keys = models.CharField(max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class IndexState(models.Model):
    """One row: versions of the knowledge index and of the synonym dictionary, moved in the
    same transaction as the change, so every process knows when its caches are stale."""

    knowledge_version = models.PositiveBigIntegerField(default=0)
    synonyms_version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"index v{self.knowledge_version}, synonyms v{self.synonyms_version}"


class SearchTerm(models.Model):
    """Document frequency of each index term over the knowledge kinds (for ranking and for
    typo repair against the index vocabulary)."""

    term = models.CharField(max_length=100, unique=True)
    df = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.term} ({self.df})"


class SynonymGroup(models.Model):
    """Words and phrases that mean the same thing to staff ("mdp | mot de passe")."""

    phrases = models.CharField(
        _("equivalent words or phrases"),
        max_length=500,
        help_text=_(
            'Separated by "|", for example: mdp | mot de passe. A one-way rule is written '
            '"a | b => c": a or b in a search also finds c, not the reverse.'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym dictionary")
        ordering = ["phrases"]

    def __str__(self) -> str:
        return self.phrases


class ZeroResultQuery(models.Model):
    """Searches that found nothing: the knowledge base's content gaps (no user is recorded)."""

    normalized = models.CharField(max_length=200, unique=True)
    example = models.CharField(_("query"), max_length=200)
    count = models.PositiveIntegerField(_("times"), default=1)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("search without results")
        verbose_name_plural = _("searches without results")
        ordering = ["-count", "-last_seen"]

    def __str__(self) -> str:
        return self.example


class DailySearchMiss(models.Model):
    """How many times a search without results (`ZeroResultQuery`, by its normalised text) was
    made on one local day, so that the reports count them over any period. Rows start at the
    upgrade that added them: `ZeroResultQuery.count` before that is not dated."""

    query = models.ForeignKey(ZeroResultQuery, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query", "day"], name="search_daily_miss_once")
        ]
        indexes = [models.Index(fields=["day", "query", "count"], name="search_daily_miss_day")]

    def __str__(self) -> str:
        return f"{self.query_id} {self.day}: {self.count}"


class Deflection(models.Model):
    """A staff member found the answer while writing a ticket, and opened none."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    query = models.CharField(max_length=200)
    kind = models.CharField(max_length=16)
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class SearchEmbedding(models.Model):
    """Dense vector of a knowledge entry, for the optional semantic re-ranking
    (relais.search.semantic; only written when the `semantic` extra is installed). Deleted with
    its entry; `digest` identifies the text and model it was computed from, so a changed
    entry is re-embedded and an unchanged one is not."""

    entry = models.OneToOneField(
        SearchEntry, on_delete=models.CASCADE, primary_key=True, related_name="embedding"
    )
    vector = models.BinaryField()  # little-endian floats, see semantic.VECTOR_DTYPE
    digest = models.CharField(max_length=64)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"embedding of entry {self.entry_id}"
