"""Inbound e-mail throughput: raw messages ingested into tickets per second.

`python -m bench mail --database sqlite|postgres [--messages N]` makes a fresh instance (the
demo organisation), then ingests N generated messages as `relais mail-ingest` and the IMAP
poller do (store raw, then process: parse, classify, thread, open the ticket or add the
reply, acknowledgement into the outbox, index for search), one transaction each. A third are
replies to the acknowledgement of an earlier ticket (threaded through our Message-ID), one in
five carries a PNG attachment, every one has a text and an HTML part. Target: ≥ 50 messages/s,
counted over the time spent in ingest (the benchmark's own message generation and look-ups
between messages are not part of it; the wall time including them is printed too).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from bench.tickets import bench_environment, fresh_instance

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
SUBJECTS = [
    "VPN impossible à lancer depuis la maison",
    "Outlook ne reçoit plus les messages",
    "Imprimante du 3e étage en panne",
    "Mot de passe expiré sur la gestion locative",
    "Écran noir au démarrage du portable",
    "Teams : pas de son en réunion",
]


def _mail(sender: str, subject: str, body: str, *, reply_to: str = "", attach: bool) -> bytes:
    from django.utils import timezone

    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@relais.test"
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain="client.example")
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    message.set_content(body)
    message.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    if attach:
        message.add_attachment(PNG, maintype="image", subtype="png", filename="capture.png")
    return message.as_bytes()


def _drive(messages: int, seed: int) -> tuple[list[float], float]:
    """Ingest `messages` generated messages one after the other; (latencies, CPU seconds)."""
    from relais.accounts.models import User
    from relais.mail.choices import Outcome
    from relais.mail.models import MailReference
    from relais.mail.services import ingest

    rng = random.Random(seed)
    people = list(User.objects.filter(is_active=True).values_list("email", flat=True))
    acks: list[tuple[str, str]] = []  # (requester, Message-ID of our acknowledgement)
    latencies: list[float] = []
    cpu = 0.0  # this process's CPU in ingest() (the database server's is not counted)
    for n in range(messages):
        sender = rng.choice(people)
        if acks and n % 3 == 2:
            requester, ack_id = rng.choice(acks)
            raw = _mail(
                requester,
                "Re: votre demande",
                f"Merci, voici le complément demandé (n° {n}).\n\nLe lun. a écrit :\n> ancien",
                reply_to=ack_id,
                attach=n % 5 == 0,
            )
        else:
            raw = _mail(
                sender,
                rng.choice(SUBJECTS),
                f"Bonjour, le problème se reproduit depuis ce matin (cas {n}). Merci.",
                attach=n % 5 == 0,
            )
        t0, c0 = time.perf_counter(), time.process_time()
        result = ingest(raw)
        latencies.append(time.perf_counter() - t0)
        cpu += time.process_time() - c0
        inbound = result.inbound
        if inbound.outcome == Outcome.CREATED and inbound.ticket_id:
            ack = (
                MailReference.objects.filter(ticket_id=inbound.ticket_id, outbound=True)
                .values_list("address", "message_id")
                .first()
            )
            if ack is not None:
                acks.append(ack)
    return latencies, cpu


def _worker(messages: int, seed: int, results: Any) -> None:
    from django.db import connections

    connections.close_all()  # a connection of its own, never the parent's
    results.put(_drive(messages, seed))
    connections.close_all()


def run(messages: int, workers: int = 1) -> dict[str, Any]:
    """One ingester, or `workers` processes ingesting at the same time (as an MTA piping to
    `relais mail-ingest`, or several pollers, would): throughput over the wall-clock time."""
    import multiprocessing

    from django.db import connection, connections

    from relais.mail.models import InboundMessage

    started = time.perf_counter()
    if workers == 1:
        latencies, cpu = _drive(messages, 5)
        elapsed = time.perf_counter() - started
        ingesting = sum(latencies)  # the generation of the test messages is not ingest work
    else:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        share = messages // workers
        processes = [
            context.Process(target=_worker, args=(share, 5 + k, queue)) for k in range(workers)
        ]
        for process in processes:
            process.start()
        parts = [queue.get() for _ in processes]
        for process in processes:
            process.join()
        elapsed = time.perf_counter() - started
        # Concurrent: the wall-clock time, message generation included (a conservative figure).
        ingesting = elapsed
        messages = share * workers
        latencies = [latency for part, _cpu in parts for latency in part]
        cpu = sum(part_cpu for _part, part_cpu in parts)
    outcomes: dict[str, int] = {}
    for outcome in InboundMessage.objects.values_list("outcome", flat=True):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    latencies.sort()
    return {
        "database": connection.vendor,
        "messages": messages,
        "workers": workers,
        "seconds": round(elapsed, 2),
        "ingest_seconds": round(ingesting, 2),
        "messages_per_second": round(messages / ingesting, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
        "ingester_cpu_ms_per_message": round(cpu / messages * 1000, 1),
        "outcomes": outcomes,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mail")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument(
        "--workers", type=int, default=1, help="ingesting processes running at the same time"
    )
    args = parser.parse_args(argv)
    env = bench_environment(args.database, "bench-mail")
    fresh_instance(env, args.database)
    result = run(args.messages, args.workers)
    print(json.dumps(result, indent=2))
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"mail-{args.database}-{args.workers}.json").write_text(json.dumps(result, indent=2))
    target = 50
    print(
        f"{result['messages_per_second']} messages/s on {args.database}, "
        f"{args.workers} ingester(s) "
        f"({'meets' if result['messages_per_second'] >= target else 'misses'} ≥ {target})"
    )
    return 0
