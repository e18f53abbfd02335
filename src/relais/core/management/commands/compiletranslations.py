"""`relais compiletranslations`: compile the .po catalogues to .mo without GNU gettext.

Catalogues live in the project's locale directory and, for apps that keep their own strings,
in `<app>/locale/` (Django finds both at run time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogue_paths() -> list[Path]:
    """Every .po file of the project: LOCALE_PATHS first, then each Relais app's own."""
    dirs = [Path(d) for d in settings.LOCALE_PATHS]
    dirs += [
        Path(config.path) / "locale"
        for config in apps.get_app_configs()
        if config.name.startswith("relais.")
    ]
    return [po for d in dirs if d.is_dir() for po in sorted(d.glob("*/LC_MESSAGES/*.po"))]


class Command(BaseCommand):
    help = "Compile translation catalogues (.po → .mo) with polib; GNU gettext is not needed."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        for po_path in catalogue_paths():
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            count += 1
        self.stdout.write(f"Compiled {count} catalogue(s).")
