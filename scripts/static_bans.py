#!/usr/bin/env python3
"""Static bans (SECURITY.md B1, F5): escape hatches that must not appear in the code base.

Usage: static_bans.py [ROOT]   exits 1 and lists every violation, 0 when clean.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# (name, pattern, files it applies to, files allowed to use it)
RULES: list[tuple[str, re.Pattern[str], tuple[str, ...], tuple[str, ...]]] = [
    ("raw SQL through the ORM", re.compile(r"\.raw\(|\.extra\(|\bRawSQL\b"), (".py",), ()),
    (
        "cursor.execute with string formatting",
        re.compile(r"\.execute\(\s*(f[\"']|[\"'][^\"']*[\"']\s*(%|\.format\())"),
        (".py",),
        (),
    ),
    (
        "mark_safe outside the sanitiser",
        re.compile(r"\bmark_safe\b"),
        (".py",),
        ("src/relais/core/sanitize.py",),
    ),
    ("|safe filter", re.compile(r"\|\s*safe\b"), (".html", ".txt"), ()),
    ("autoescape off", re.compile(r"{%\s*autoescape\s+off"), (".html", ".txt"), ()),
    (
        "outbound HTTP outside the guarded egress module",
        re.compile(r"^\s*(import|from)\s+(requests|httpx|urllib\.request|urllib3|aiohttp)\b"),
        (".py",),
        ("src/relais/core/egress.py", "src/relais/monitoring/"),
    ),
    ("subprocess with shell=True", re.compile(r"shell\s*=\s*True"), (".py",), ()),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), ("",), ()),
    ("API token literal", re.compile(r"\brls_[A-Za-z0-9_-]{30,}"), ("",), ()),
    ("AWS access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b"), ("",), ()),
]

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


def scan(root: Path) -> list[str]:
    violations = []
    for name in tracked_files(root):
        if name in SELF or not name.startswith(SCANNED_DIRS) or "/migrations/" in name:
            continue
        path = root / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for rule, pattern, suffixes, allowed in RULES:
            if not name.endswith(suffixes) or name.startswith(allowed):
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                if pattern.search(line) and "static-ban: allow" not in line:
                    violations.append(f"{name}:{number}: {rule}: {line.strip()[:120]}")
    return violations


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
