"""Monthly points (issue 6): a person's reputation earned per month, kept by the services
with every vote and acceptance, read by the leaderboards, the helper of the month, the
reputation and the profile. Back-filled here from the existing votes and acceptances with
the rule of relais.community.reputation (which imports no model), and every member's
reputation set to the sum of their months."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from relais.community.reputation import rebuild


def backfill(apps, schema_editor):
    rebuild(
        apps.get_model("community", "MonthlyPoints"),
        apps.get_model("community", "Vote"),
        apps.get_model("community", "Question"),
        apps.get_model("community", "Member"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0003_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MonthlyPoints",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(verbose_name="month")),
                ("points", models.IntegerField(default=0, verbose_name="points")),
                ("accepted", models.IntegerField(default=0, verbose_name="accepted answers")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="community_months",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "monthly points",
                "verbose_name_plural": "monthly points",
                "indexes": [
                    models.Index(fields=["month", "-points", "user"], name="community_points_board")
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("user", "month"), name="community_points_once")
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
