"""Dictionary lines changed since 0003 seeded it, applied to an existing instance: a line an
admin has edited since is left alone; a new line is added unless already there (a new
instance has it from 0003, which reads the current data file)."""

from django.db import migrations

REPLACED = {
    # "file" is a queue in French (file d'attente) and stems like "fil" (the intranet).
    "fichier | document | doc | file": "fichier | document | doc",
    # Hyphenated, these stay one word: "rendez vous" was "rend" (rendre), "sous traitant"
    # "trait" (traitement).
    "rendez vous | rdv | reunion | meeting | invitation": (
        "rendez-vous | rdv | reunion | meeting | invitation"
    ),
    "prestataire | externe | exterieur | fournisseur | partenaire | sous traitant | invite | "
    "invites": "prestataire | externe | exterieur | fournisseur | partenaire | sous-traitant | "
    "invite | invites",
}
ADDED = [
    "suspect | suspecte | douteux | douteuse | louche | frauduleux | frauduleuse | faux | "
    "fausse | pirate | malveillant | piege",
    "travailler | bosser | taffer",
]


def forward(apps, schema_editor):
    SynonymGroup = apps.get_model("search", "SynonymGroup")
    for old, new in REPLACED.items():
        SynonymGroup.objects.filter(phrases=old).update(phrases=new)
    existing = set(SynonymGroup.objects.values_list("phrases", flat=True))
    SynonymGroup.objects.bulk_create(
        [SynonymGroup(phrases=line) for line in ADDED if line not in existing]
    )


class Migration(migrations.Migration):
    dependencies = [("search", "0004_searchembedding")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
