"""The IT-domain synonym dictionary, seeded from relais/search/data/synonyms_fr.txt (one
row per line, in the file's syntax); admins
edit it afterwards (Administration > Search > Synonym dictionary)."""

from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "synonyms_fr.txt"


def groups():
    for line in DATA.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        yield line[:500]


def forward(apps, schema_editor):
    SynonymGroup = apps.get_model("search", "SynonymGroup")
    SynonymGroup.objects.bulk_create([SynonymGroup(phrases=p) for p in groups()])


def backward(apps, schema_editor):
    apps.get_model("search", "SynonymGroup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]
    operations = [migrations.RunPython(forward, backward)]
