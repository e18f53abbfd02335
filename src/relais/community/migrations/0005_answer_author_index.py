"""A person's answers newest first, and their count, for the profile page (issue 6,
docs/benchmarks.md): an index on (author, -created_at) carrying is_hidden and question_id on
PostgreSQL (SQLite ignores INCLUDE and keeps the plain index)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0004_monthly_points"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="answer",
            index=models.Index(
                fields=["author", "-created_at"],
                include=("is_hidden", "question"),
                name="community_a_author",
            ),
        ),
    ]
