from django.db import migrations

# The usual asset types (admins add others in Django's admin).
TYPES = [
    ("Ordinateur portable", "laptop", True),
    ("Poste fixe", "desktop", False),
    ("Écran", "screen", True),
    ("Téléphone", "phone", False),
    ("Tablette", "tablet", True),
    ("Clé 4G", "dongle_4g", True),
    ("Clé de sécurité / jeton VPN", "security_key", False),
    ("Station d'accueil", "docking_station", True),
    ("Casque", "headset", True),
]


def create_types(apps, schema_editor):
    AssetType = apps.get_model("assets", "AssetType")
    for name, kind, lendable in TYPES:
        AssetType.objects.get_or_create(name=name, defaults={"kind": kind, "lendable": lendable})


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]
    operations = [migrations.RunPython(create_types, migrations.RunPython.noop)]
