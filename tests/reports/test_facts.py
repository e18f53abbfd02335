"""The fact rows kept by the ticket services equal the rows rebuilt from the tickets, after a
random sequence of ticket operations (reopenings, paused SLAs, ratings, team changes, the SLA
watch) spanning several days."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from freezegun import freeze_time

from relais.tickets import services
from relais.tickets.choices import STATUS_TRANSITIONS, Level, TicketStatus
from relais.tickets.models import TicketFact
from relais.tickets.services.facts import FIELDS
from tests.reports.conftest import Desk, at

pytestmark = pytest.mark.django_db


def snapshot() -> dict[int, tuple[Any, ...]]:
    return {
        row["ticket_id"]: tuple(row[f] for f in FIELDS)
        for row in TicketFact.objects.values("ticket_id", *FIELDS)
    }


def random_operations(desk: Desk, rng: random.Random, steps: int) -> None:
    now = at("2026-09-25")
    names: list[str] = []
    for step in range(steps):
        now += timedelta(minutes=rng.randint(10, 900))
        op = rng.random()
        if op < 0.25 or not names:
            name = f"t{step}"
            desk.open(
                name,
                now,
                category=rng.choice([desk.vpn_category, desk.apps_category]),
                requester=rng.choice([desk.requester, desk.other_requester]),
                impact=rng.choice(Level.values),
                urgency=rng.choice(Level.values),
            )
            names.append(name)
            continue
        name = rng.choice(names)
        # An operation the rules refuse at this point changes nothing.
        with contextlib.suppress(PermissionDenied, ValidationError):
            apply(desk, rng, name, op, now)


def apply(desk: Desk, rng: random.Random, name: str, op: float, now: Any) -> None:
    ticket = desk.fresh(name)
    if op < 0.4:
        desk.reply(name, now)
    elif op < 0.75:
        targets = sorted(STATUS_TRANSITIONS[ticket.status] - {TicketStatus.ASSIGNED})
        if targets:
            desk.status(name, rng.choice(targets), now)
    elif op < 0.82 and ticket.status in {TicketStatus.RESOLVED, TicketStatus.CLOSED}:
        desk.reopen(name, now)
    elif op < 0.88 and ticket.status in {TicketStatus.RESOLVED, TicketStatus.CLOSED}:
        desk.rate(name, rng.randint(1, 5), rng.choice(["", "Merci."]), now)
    elif op < 0.94:
        with freeze_time(now):
            services.ticket_update(
                ticket=ticket,
                actor=desk.supervisor,
                changes={
                    "team": rng.choice([desk.vpn, desk.apps, None]),
                    "impact": rng.choice(Level.values),
                },
                expected_version=None,
            )
    else:
        with freeze_time(now):
            services.sla_watch()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_maintained_facts_equal_the_rebuild(desk: Desk, seed: int) -> None:
    random_operations(desk, random.Random(seed), steps=70)
    maintained = snapshot()
    assert len(maintained) == len(desk.tickets)

    call_command("reports-rebuild", verbosity=0)

    assert snapshot() == maintained


def test_the_october_scenario_is_kept_exact(october: Desk) -> None:
    maintained = snapshot()
    assert services.ticket_facts_rebuild() == len(october.tickets)
    assert snapshot() == maintained
    fact = TicketFact.objects.get(pk=october.tickets["reopened"].pk)
    assert (fact.reopen_count, fact.rating, fact.status) == (1, 2, TicketStatus.RESOLVED)


def test_a_ticket_without_a_fact_row_gets_one_at_its_next_write(october: Desk) -> None:
    ticket = october.fresh("apps")
    TicketFact.objects.filter(pk=ticket.pk).delete()

    october.status("apps", TicketStatus.RESOLVED, at("2026-11-03"))

    assert TicketFact.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED


def test_tickets_from_before_the_reports_get_their_facts_without_a_manual_step(
    october: Desk,
) -> None:
    # An upgrade: the table exists, the old tickets have no rows; the nightly job (and
    # `relais run`) fill exactly those, and the result equals a full rebuild.
    maintained = snapshot()
    TicketFact.objects.filter(pk__in=[t.pk for t in list(october.tickets.values())[:3]]).delete()
    call_command("reports-rebuild", "--missing", verbosity=0)
    assert snapshot() == maintained
    assert services.ticket_facts_fill_missing() == 0  # nothing left: idempotent
