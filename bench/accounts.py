"""Directory sync and directory login against a real slapd.

`python -m bench accounts --database sqlite|postgres [--people N]` makes a fresh instance
(the demo organisation), starts Debian's slapd (tests/slapd.py) holding N generated people
plus the named test people (page size limit 500, so the paged search is what reads them),
then times: a dry run, the first sync (everyone created), a second sync (nothing changed),
a sync after 1 % of the people left, and 50 directory logins (search + one bind + groups +
update) through the authentication backend. Writes var/bench/accounts-<database>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bench.tickets import bench_environment, fresh_instance


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench accounts")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--logins", type=int, default=50)
    args = parser.parse_args(argv)

    from tests.slapd import NAMED, Slapd, configure_relais, generated_people, slapd_available

    if not slapd_available():
        print("slapd is not installed (run scripts/test-services.sh)")
        return 1
    env = bench_environment(args.database, "accounts")
    env["RELAIS_HUEY_IMMEDIATE"] = "1"
    fresh_instance(env, args.database)
    slapd = Slapd([*NAMED, *generated_people(args.people)])
    started = time.perf_counter()
    slapd.start()
    load_s = time.perf_counter() - started

    from django.conf import settings

    configure_relais(settings, slapd, page_size=500)
    from relais.accounts.directory import DirectoryBackend, sync

    results: dict[str, object] = {
        "database": args.database,
        "people": len(slapd.people),
        "slapadd_and_start_s": round(load_s, 2),
    }
    try:
        for label, kwargs in (
            ("dry_run", {"dry_run": True}),
            ("first_sync", {}),
            ("unchanged_sync", {}),
        ):
            started = time.perf_counter()
            report = sync(**kwargs)
            results[f"{label}_s"] = round(time.perf_counter() - started, 2)
            results[f"{label}_created"] = len(report.created)
            print(f"{label}: {results[f'{label}_s']} s ({len(report.created)} created)")
        leavers = [p.login for p in slapd.people if p.login.startswith("user")][
            : max(1, args.people // 100)
        ]
        for login in leavers:
            slapd.disable(login)
        started = time.perf_counter()
        report = sync()
        results["leavers_sync_s"] = round(time.perf_counter() - started, 2)
        results["leavers_deactivated"] = len(report.deactivated)
        print(f"leavers_sync: {results['leavers_sync_s']} s ({len(report.deactivated)} left)")

        backend = DirectoryBackend()
        person = slapd.by_login["jdupont"]
        timings = []
        for _ in range(args.logins):
            started = time.perf_counter()
            user = backend.authenticate(None, username=person.login, password=person.password)
            timings.append((time.perf_counter() - started) * 1000)
            assert user is not None
        timings.sort()
        results["login_p50_ms"] = round(statistics.median(timings), 1)
        results["login_p95_ms"] = round(timings[int(len(timings) * 0.95) - 1], 1)
        print(f"login: p50 {results['login_p50_ms']} ms, p95 {results['login_p95_ms']} ms")
    finally:
        slapd.stop()
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"accounts-{args.database}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0
