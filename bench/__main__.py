"""`python -m bench [NAME…]` runs the benchmarks; `make bench` runs them all.

Results are printed and written as JSON under var/bench/; the figures that matter are copied
into docs/benchmarks.md with the command that produced them."""

from __future__ import annotations

import argparse
import sys

from bench import (
    accounts,
    assets,
    capacity,
    community,
    http_baseline,
    load,
    mail,
    monitoring,
    pages,
    reports,
    search,
    tickets,
)

BENCHMARKS = {
    "http-baseline": http_baseline.main,
    "tickets": tickets.main,
    "pages": pages.main,
    "search": search.main,
    "community": community.main,
    "mail": mail.main,
    "assets": assets.main,
    "monitoring": monitoring.main,
    "accounts": accounts.main,
    "reports": reports.main,
    "load": load.main,
    "capacity": capacity.main,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], default=[])
    args, rest = parser.parse_known_args()
    for name in args.names or list(BENCHMARKS):
        print(f"== {name} ==", flush=True)
        code = BENCHMARKS[name](rest)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
