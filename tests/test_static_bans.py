"""The static bans run in the test suite too, and do catch what they ban."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "static_bans.py"


def run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, timeout=60
    )


def test_repository_is_clean():
    result = run(ROOT)
    assert result.returncode == 0, result.stdout


def test_each_banned_construct_is_caught(tmp_path):
    (tmp_path / "src/relais/app/templates").mkdir(parents=True)
    (tmp_path / "src/relais/app/views.py").write_text(
        "from django.utils.safestring import mark_safe\n"
        "import requests\n"
        "qs = Model.objects.raw('select 1')\n"
        "cursor.execute(f'select {x}')\n"
        "subprocess.run(cmd, shell=True)\n"
    )
    (tmp_path / "src/relais/app/templates/page.html").write_text("{{ body|safe }}\n")
    result = run(tmp_path)
    assert result.returncode == 1
    for rule in (
        "mark_safe outside the sanitiser",
        "outbound HTTP",
        "raw SQL through the ORM",
        "cursor.execute with string formatting",
        "shell=True",
        "|safe filter",
    ):
        assert rule in result.stdout, rule
