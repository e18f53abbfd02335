"""Smaller result and rollup rows (docs/benchmarks.md, "Database after a simulated year").

- Check ids become 4-byte integers (repeated in millions of result rows).
- CheckResult loses its id: its key is (at, check, location), leading with the time.
- HourlyRollup rows are folded into their day's DailyRollup row (`hours`, 8 bytes an hour);
  the unused `degraded` counts go.

Django cannot turn an id primary key into a composite one in place, so the old tables are
renamed, the new ones created, the rows copied, and the old tables dropped.
"""

import struct
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

from relais.monitoring.choices import CheckState, ErrorCode

HOUR_SLOT = struct.Struct("<HHHH")
NO_VALUE = 0xFFFF


def _u16(value, ceiling=0xFFFF):
    return NO_VALUE if value is None else max(0, min(int(value), ceiling))


def copy_rows(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        # WHERE makes the ON CONFLICT clause unambiguous for SQLite's parser.
        cursor.execute(
            "INSERT INTO monitoring_checkresult "
            "(at, check_id, latency_ms, http_status, state, error_code, detail, location) "
            "SELECT at, check_id, latency_ms, http_status, state, error_code, detail, location "
            "FROM monitoring_legacycheckresult WHERE 1 = 1 ON CONFLICT DO NOTHING"
        )
    Legacy = apps.get_model("monitoring", "LegacyDailyRollup")
    LegacyHourly = apps.get_model("monitoring", "LegacyHourlyRollup")
    Daily = apps.get_model("monitoring", "DailyRollup")
    tz = timezone.get_current_timezone()
    hours = defaultdict(dict)
    for check_id, hour, total, failures, p50, p95 in LegacyHourly.objects.values_list(
        "check_ref_id", "hour", "total", "failures", "latency_p50_ms", "latency_p95_ms"
    ).iterator(chunk_size=5000):
        day = timezone.localtime(hour, tz).date()
        midnight = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
        slot = int((hour.astimezone(UTC) - midnight) // timedelta(hours=1))
        hours[(check_id, day)][slot] = (total, failures, p50, p95)
    rows = []
    for legacy in Legacy.objects.iterator(chunk_size=5000):
        slots = hours.get((legacy.check_ref_id, legacy.day), {})
        packed = b"".join(
            HOUR_SLOT.pack(
                _u16(slots[n][0]),
                _u16(slots[n][1]),
                _u16(slots[n][2], NO_VALUE - 1),
                _u16(slots[n][3], NO_VALUE - 1),
            )
            if n in slots and slots[n][0]
            else HOUR_SLOT.pack(0, 0, NO_VALUE, NO_VALUE)
            for n in range(max(slots, default=-1) + 1)
        )
        rows.append(
            Daily(
                day=legacy.day,
                check_ref_id=legacy.check_ref_id,
                total=legacy.total,
                failures=legacy.failures,
                latency_p50_ms=legacy.latency_p50_ms,
                latency_p95_ms=legacy.latency_p95_ms,
                hours=packed,
            )
        )
        if len(rows) >= 2000:
            Daily.objects.bulk_create(rows)
            rows = []
    Daily.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="check",
            name="id",
            field=models.AutoField(primary_key=True, serialize=False),
        ),
        migrations.RenameModel("CheckResult", "LegacyCheckResult"),
        migrations.RenameModel("HourlyRollup", "LegacyHourlyRollup"),
        migrations.RenameModel("DailyRollup", "LegacyDailyRollup"),
        migrations.CreateModel(
            name="CheckResult",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "at",
                        "check_ref_id",
                        "location",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="time")),
                (
                    "check_ref",
                    models.ForeignKey(
                        db_column="check_id",
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="results",
                        to="monitoring.check",
                    ),
                ),
                (
                    "latency_ms",
                    models.PositiveIntegerField(blank=True, null=True, verbose_name="latency (ms)"),
                ),
                (
                    "http_status",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="HTTP status"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=CheckState.choices,
                        max_length=16,
                        verbose_name="state",
                    ),
                ),
                (
                    "error_code",
                    models.CharField(
                        blank=True, choices=ErrorCode.choices, max_length=24, verbose_name="error"
                    ),
                ),
                ("detail", models.CharField(blank=True, max_length=200, verbose_name="detail")),
                (
                    "location",
                    models.CharField(blank=True, default="", max_length=50, verbose_name="location"),
                ),
            ],
            options={
                "verbose_name": "check result",
                "verbose_name_plural": "check results",
                "ordering": ["-at"],
                "indexes": [models.Index(fields=["check_ref"], name="mon_result_check")],
            },
        ),
        migrations.CreateModel(
            name="DailyRollup",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "day",
                        "check_ref_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("day", models.DateField()),
                (
                    "check_ref",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="monitoring.check",
                    ),
                ),
                ("total", models.PositiveIntegerField(default=0)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("latency_p50_ms", models.PositiveIntegerField(blank=True, null=True)),
                ("latency_p95_ms", models.PositiveIntegerField(blank=True, null=True)),
                ("hours", models.BinaryField(blank=True, default=b"")),
            ],
            options={"ordering": ["day"]},
        ),
        migrations.RunPython(copy_rows, migrations.RunPython.noop),
        migrations.DeleteModel("LegacyCheckResult"),
        migrations.DeleteModel("LegacyHourlyRollup"),
        migrations.DeleteModel("LegacyDailyRollup"),
    ]
