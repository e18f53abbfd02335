"""Demo data. Each app contributes a seeder (its own `demo.py`), run in dependency order."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

DEMO_PASSWORD = "demo-relais-2026"  # noqa: S105  (demo accounts only, printed on purpose)

DEMO_LOGINS = [
    ("collaborateur@relais.test", "Collaborator (field agent)"),
    ("agent@relais.test", "Agent (service desk level 1)"),
    ("superviseur@relais.test", "Supervisor"),
    ("admin@relais.test", "Administrator"),
]


@dataclass
class DemoContext:
    rng: random.Random
    data: dict[str, Any] = field(default_factory=dict)
    # Volume of the bulky parts (tickets…): 1.0 is the full demo, tests use less.
    scale: float = 1.0


Seeder = Callable[[DemoContext], str]


def _seeders() -> list[Seeder]:
    # Order matters: later seeders use what earlier ones created (through ctx.data).
    from relais.accounts import demo as accounts_demo
    from relais.assets import demo as assets_demo
    from relais.community import demo as community_demo
    from relais.kb import demo as kb_demo
    from relais.mail import demo as mail_demo
    from relais.monitoring import demo as monitoring_demo
    from relais.search import demo as search_demo
    from relais.tickets import demo as tickets_demo

    return [
        accounts_demo.seed,
        tickets_demo.seed,
        kb_demo.seed,
        community_demo.seed,
        mail_demo.seed,
        assets_demo.seed,
        monitoring_demo.seed,
        search_demo.seed,  # last: indexes what the bulk seeders wrote
    ]


def has_data() -> bool:
    from relais.accounts.models import User

    return User.objects.exists()


def seed(*, seed: int = 2026, scale: float = 1.0) -> list[str]:
    ctx = DemoContext(rng=random.Random(seed), scale=scale)  # noqa: S311 (reproducible)
    summary = []
    with transaction.atomic():
        for seeder in _seeders():
            summary.append(seeder(ctx))
    return summary


def logins_text() -> str:
    width = max(len(email) for email, _role in DEMO_LOGINS)
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {email.ljust(width)}  {role}" for email, role in DEMO_LOGINS]
    return "\n".join(lines)
