"""Reference data every installation starts with: calendars, the priority matrix, SLA
targets and the category tree. Administrators change all of it afterwards."""

from django.db import migrations

OFFICE_HOURS = {
    str(day): [["08:30", "12:30"], ["13:30", "18:00"]] for day in range(5)
}
AROUND_THE_CLOCK = {str(day): [["00:00", "00:00"]] for day in range(7)}

MATRIX = {
    ("high", "high"): "P1", ("high", "medium"): "P2", ("medium", "high"): "P2",
    ("high", "low"): "P3", ("medium", "medium"): "P3", ("low", "high"): "P3",
    ("medium", "low"): "P4", ("low", "medium"): "P4", ("low", "low"): "P4",
}

# priority: (first response minutes, resolution minutes, 24/7?)
SLA = {"P1": (30, 240, True), "P2": (60, 480, False), "P3": (240, 1530, False),
       "P4": (480, 2550, False)}

APPLICATIONS = ["Gestion locative", "Extranet locataires", "Comptabilité", "Paie",
                "Gestion des réclamations", "Autre"]

CATEGORIES = [
    ("Connexion & VPN", "incident", "Accès au réseau depuis le bureau, le domicile ou le terrain",
     ["VPN", "Wi-Fi", "Connexion depuis le domicile", "Accès Internet"]),
    ("Messagerie", "incident", "Outlook, boîtes partagées, calendrier",
     ["Outlook", "Boîte partagée", "Calendrier"]),
    ("Poste de travail", "incident", "Ordinateur, logiciels, lenteurs",
     ["Ordinateur portable", "Logiciel", "Lenteurs", "Installation de logiciel"]),
    ("Téléphonie", "incident", "Mobiles, fixes, softphone",
     ["Téléphone mobile", "Téléphone fixe / softphone", "Messagerie vocale"]),
    ("Impression", "incident", "Imprimantes et scanners", ["Imprimante", "Scanner"]),
    ("Applications métier", "incident", "Gestion locative, extranet, comptabilité…",
     ["Dysfonctionnement", "Accès à une application", "Demande d'évolution"]),
    ("Plateformes collaboratives", "incident", "Teams, SharePoint, partage de fichiers",
     ["Teams", "SharePoint", "Partage de fichiers"]),
    ("Accès & mots de passe", "request", "Mots de passe, comptes, droits",
     ["Mot de passe oublié ou expiré", "Création de compte", "Droits d'accès"]),
    ("Matériel", "request", "Demande, prêt ou panne de matériel",
     ["Demande de matériel", "Prêt de matériel", "Panne matérielle"]),
]


def seed(apps, schema_editor):
    BusinessCalendar = apps.get_model("tickets", "BusinessCalendar")
    PriorityRule = apps.get_model("tickets", "PriorityRule")
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    Category = apps.get_model("tickets", "Category")
    DeskSettings = apps.get_model("tickets", "DeskSettings")

    office, _ = BusinessCalendar.objects.get_or_create(
        name="Heures ouvrées", defaults={"hours": OFFICE_HOURS, "is_default": True}
    )
    always, _ = BusinessCalendar.objects.get_or_create(
        name="24 h/24, 7 j/7", defaults={"hours": AROUND_THE_CLOCK, "french_holidays": False}
    )
    for (impact, urgency), priority in MATRIX.items():
        PriorityRule.objects.get_or_create(impact=impact, urgency=urgency,
                                           defaults={"priority": priority})
    for priority, (first, resolution, round_the_clock) in SLA.items():
        SlaPolicy.objects.get_or_create(
            priority=priority, category=None,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution,
                      "calendar": always if round_the_clock else None},
        )
    for position, (name, kind, help_text, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(
            name=name, parent=None,
            defaults={"default_type": kind, "description": help_text, "position": position},
        )
        for child_position, child in enumerate(children):
            extra = []
            if name == "Applications métier":
                extra = [{"name": "application", "label": "Quelle application ?",
                          "type": "choice", "required": True, "choices": APPLICATIONS}]
            if child == "Demande de matériel":
                kind_child = "request"
            else:
                kind_child = kind
            Category.objects.get_or_create(
                name=child, parent=parent,
                defaults={"default_type": kind_child, "position": child_position,
                          "extra_fields": extra},
            )
    DeskSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
