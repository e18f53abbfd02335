#!/usr/bin/env python3
"""Static bans (SECURITY.md B1, F5): escape hatches that must not appear in the code base,
and secrets that must not appear in the repository. A reviewed exception carries
`# static-ban: allow (why)` on its line and is listed in docs/security.md.

Usage: static_bans.py [ROOT]   exits 1 and lists every violation, 0 when clean.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

# The guarded egress modules: the only code that opens outbound connections (target policy,
# address pinning, redirect re-validation, size and time bounds; SECURITY.md C1–C5).
EGRESS = (
    "src/relais/monitoring/executors.py",
    "src/relais/monitoring/prober.py",
    "src/relais/monitoring/webhooks.py",
    "src/relais/monitoring/targets.py",
    "src/relais/monitoring/demo_targets.py",
)
SANITISER = ("src/relais/core/sanitize.py",)

# (name, pattern, files it applies to, files allowed to use it)
RULES: list[tuple[str, re.Pattern[str], tuple[str, ...], tuple[str, ...]]] = [
    ("raw SQL through the ORM", re.compile(r"\.raw\(|\.extra\(|\bRawSQL\b"), (".py",), ()),
    (
        "cursor.execute with string formatting",
        re.compile(r"\.execute(many)?\(\s*(f[\"']|[\"'][^\"']*[\"']\s*(%|\+|\.format\())"),
        (".py",),
        (),
    ),
    (
        "mark_safe outside the sanitiser",
        re.compile(r"\bmark_safe\b|\bSafeString\("),
        (".py",),
        SANITISER,
    ),
    ("|safe filter", re.compile(r"\|\s*safe\b"), (".html", ".txt"), SANITISER),
    (
        "autoescape off",
        re.compile(r"{%\s*autoescape\s+off|autoescape\s*=\s*False"),
        (".html", ".txt", ".py"),
        (*SANITISER, "src/relais/core/text.py"),
    ),
    (
        "outbound HTTP outside the guarded egress module",
        re.compile(
            r"^\s*(import|from)\s+(requests|httpx|urllib3|aiohttp|pycurl|http\.client"
            r"|urllib\.request|urllib\s+import\s+request)\b"
            r"|^\s*import\s+urllib\s*$|\burllib\.request\.|\burlopen\("
        ),
        (".py",),
        # Tests and benchmarks call their own local servers; only the application is held.
        (*EGRESS, "tests/", "bench/"),
    ),
    (
        "subprocess with shell=True",
        re.compile(r"shell\s*=\s*True|\bos\.system\(|\bos\.popen\("),
        (".py",),
        (),
    ),
]

# Secrets: every tracked file, whatever its directory (a gitleaks-style grep; SECURITY.md F5).
SECRET_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("API token literal", re.compile(r"\brls_[A-Za-z0-9_-]{30,}")),
    ("AWS access key", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    (
        "JSON web token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    ),
    (
        "credentials in a URL",
        re.compile(
            r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:(?!password@|change-me|\$|\{)[^/\s:@'\"]{8,}@"
        ),
    ),
]
# A secret assigned a literal in the settings (they come from the environment).
SETTINGS_SECRET = re.compile(
    r"^\s*[A-Z_]*(PASSWORD|SECRET|TOKEN|_KEY)[A-Z_]*\s*=\s*[\"'][^\"']{4,}[\"']"
)
SETTINGS_FILES = ("src/relais/settings.py",)
SECRETS_SKIPPED = (".po", ".mo", ".eml", ".png", ".jpg", ".svg", ".ico", ".woff2", ".pdf")

SCANNED_DIRS = ("src/", "tests/", "bench/", "scripts/")
SELF = {"scripts/static_bans.py", "tests/test_static_bans.py"}  # they spell out the bans


def tracked_files(root: Path) -> list[str]:
    try:
        output = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [line for line in output.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):
        return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]


def _formatted(node: ast.expr) -> bool:
    """A string built by formatting: f-string, %, + or .format()."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        composed = node.func.value
        # psycopg's sql.SQL(...).format(sql.Identifier(...)) quotes what it composes.
        safe = isinstance(composed, ast.Call) and getattr(composed.func, "attr", "") == "SQL"
        return node.func.attr == "format" and not safe
    return False


def formatted_executes(source: str) -> list[tuple[int, int]]:
    """Lines of `….execute(sql)` / `executemany` whose SQL is formatted there or in a variable
    assigned by formatting in the same function: what a line grep cannot see."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    lines = []
    scopes = [
        tree,
        *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)),
    ]
    for scope in scopes:
        built = {
            target.id
            for node in ast.walk(scope)
            if isinstance(node, ast.Assign) and _formatted(node.value)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(scope):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"execute", "executemany"}
                and node.args
            ):
                continue
            sql = node.args[0]
            if _formatted(sql) or (isinstance(sql, ast.Name) and sql.id in built):
                lines.append((node.lineno, node.end_lineno or node.lineno))
    return sorted(set(lines))


def scan(root: Path) -> list[str]:
    violations = []
    for name in tracked_files(root):
        if name in SELF:
            continue
        path = root / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        lines = text.splitlines()
        if not name.endswith(SECRETS_SKIPPED):
            for number, line in enumerate(lines, start=1):
                if "static-ban: allow" in line:
                    continue
                for rule, pattern in SECRET_RULES:
                    if pattern.search(line):
                        violations.append(f"{name}:{number}: {rule}: {line.strip()[:120]}")
                if name.endswith(SETTINGS_FILES) and SETTINGS_SECRET.search(line):
                    violations.append(f"{name}:{number}: secret literal in the settings")
        if not name.startswith(SCANNED_DIRS) or "/migrations/" in name:
            continue
        for rule, pattern, suffixes, allowed in RULES:
            if not name.endswith(suffixes) or name.startswith(allowed):
                continue
            for number, line in enumerate(lines, start=1):
                if pattern.search(line) and "static-ban: allow" not in line:
                    violations.append(f"{name}:{number}: {rule}: {line.strip()[:120]}")
        if name.endswith(".py"):
            for number, end in formatted_executes(text):
                line = lines[number - 1]
                # The reviewed-exception comment may sit on any line of the call.
                if not any("static-ban: allow" in text for text in lines[number - 1 : end]):
                    violations.append(
                        f"{name}:{number}: cursor.execute with string formatting: "
                        f"{line.strip()[:120]}"
                    )
    return sorted(set(violations))


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    violations = scan(root)
    for violation in violations:
        print(violation)
    if violations:
        print(f"{len(violations)} banned construct(s) found.", file=sys.stderr)
        return 1
    print("static bans: clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
