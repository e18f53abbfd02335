"""Indexes for the question lists at volume (docs/benchmarks.md, issue 6): newest first
without a visibility filter (moderators); the unanswered tab (counted on the index alone); on
PostgreSQL, a GIN index on the tags so that a tag list does not read every question."""

from django.db import migrations, models

PG_FORWARD = (
    "CREATE INDEX IF NOT EXISTS community_q_tags_gin "
    "ON community_question USING gin (tags jsonb_path_ops)"
)
PG_BACKWARD = "DROP INDEX IF EXISTS community_q_tags_gin"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("community", "0002_entraide")]

    operations = [
        migrations.AddIndex(
            model_name="question",
            index=models.Index(fields=["-created_at", "-id"], name="community_q_created"),
        ),
        migrations.AddIndex(
            model_name="question",
            index=models.Index(
                condition=models.Q(("answer_count", 0), ("is_hidden", False), ("status", "open")),
                fields=["-created_at", "-id"],
                name="community_q_unans_open",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
