"""The static bans (SECURITY.md B1, F5) run in `make lint` and in the test suite: the repository
is clean, each ban fires on a sample, and the reviewed ways of doing the same thing pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "static_bans.py"

# (file, content, rule expected in the report)
SAMPLES = [
    ("src/relais/app/a.py", "qs = Model.objects.raw('select 1')\n", "raw SQL through the ORM"),
    ("src/relais/app/b.py", "qs = Model.objects.extra(where=['1'])\n", "raw SQL through the ORM"),
    ("src/relais/app/c.py", "x = RawSQL('select 1', [])\n", "raw SQL through the ORM"),
    ("src/relais/app/d.py", "cursor.execute(f'select {x}')\n", "cursor.execute with string"),
    ("src/relais/app/e.py", "cursor.execute('select %s' % x)\n", "cursor.execute with string"),
    ("src/relais/app/f.py", "cursor.execute('select ' + x)\n", "cursor.execute with string"),
    (
        "src/relais/app/g.py",
        "cursor.execute('x {}'.format(x))\n",
        "cursor.execute with string",
    ),
    (
        "src/relais/app/h.py",
        "def f(c, t):\n    sql = f'select * from {t}'\n    c.executemany(sql, [])\n",
        "cursor.execute with string",
    ),
    (
        "src/relais/app/i.py",
        "from django.utils.safestring import mark_safe\n",
        "mark_safe outside the sanitiser",
    ),
    ("src/relais/app/j.py", "html = SafeString(text)\n", "mark_safe outside the sanitiser"),
    ("src/relais/app/templates/k.html", "{{ body|safe }}\n", "|safe filter"),
    ("src/relais/app/templates/l.html", "{% autoescape off %}{{ x }}\n", "autoescape off"),
    ("src/relais/app/m.py", "import requests\n", "outbound HTTP"),
    ("src/relais/app/n.py", "import httpx\n", "outbound HTTP"),
    ("src/relais/app/o.py", "from urllib.request import urlopen\n", "outbound HTTP"),
    ("src/relais/app/p.py", "from urllib import request\n", "outbound HTTP"),
    ("src/relais/app/q.py", "import http.client\n", "outbound HTTP"),
    ("src/relais/app/r.py", "subprocess.run(cmd, shell=True)\n", "shell=True"),
    ("src/relais/app/s.py", "os.system('rm ' + name)\n", "shell=True"),
    ("deploy/key.pem", "-----BEGIN RSA PRIVATE KEY-----\n", "private key"),
    ("docs/t.md", "token: rls_" + "a" * 40 + "\n", "API token literal"),
    ("scripts/u.sh", "export AWS_ACCESS_KEY_ID=AKIA" + "ABCDEFGHIJKLMNOP\n", "AWS access key"),
    ("deploy/v.env", "GITHUB=ghp_" + "a1" * 18 + "\n", "GitHub token"),
    ("deploy/w.env", "DATABASE_URL=postgres://relais:Zq8" + "vN3xPw@db/relais\n", "credentials"),
    (
        "src/relais/settings.py",
        'EMAIL_HOST_PASSWORD = "hunter2-for-real"\n',
        "secret literal in the settings",
    ),
]

# The reviewed ways: parameters, psycopg composition, the sanitiser, a marked exception.
ALLOWED = [
    ("src/relais/app/ok1.py", "cursor.execute('select %s', [x])\n"),
    ("src/relais/app/ok2.py", "c.execute(sql.SQL('drop {}').format(sql.Identifier(n)))\n"),
    ("src/relais/core/sanitize.py", "from django.utils.safestring import mark_safe\n"),
    (
        "src/relais/app/ok3.py",
        "def f(c, t):\n    q = f'select * from {t}'\n    c.execute(  # static-ban: allow (why)\n"
        "        q\n    )\n",
    ),
    ("src/relais/monitoring/webhooks.py", "import http.client\n"),
    ("tests/test_x.py", "import http.client\n"),
    ("src/relais/settings.py", 'EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")\n'),
    ("deploy/x.env", "DATABASE_URL=postgres://relais:password@db.example.fr:5432/relais\n"),
]


def run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, timeout=300
    )


def test_repository_is_clean():
    result = run(ROOT)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(("name", "content", "rule"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_each_banned_construct_is_caught(tmp_path, name, content, rule):
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(content)
    result = run(tmp_path)
    assert result.returncode == 1
    assert f"{name}:" in result.stdout and rule in result.stdout, result.stdout


def test_the_reviewed_ways_pass(tmp_path):
    for name, content in ALLOWED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    result = run(tmp_path)
    assert result.returncode == 0, result.stdout
