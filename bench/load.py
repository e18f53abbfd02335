"""The whole product under a realistic mix of requests (issue 11 §4).

Seeds one instance at volume (the demo organisation and its data, then 10,000 people, 200,000
assets, N tickets with 5 replies each and their search entries, 200,000 ticket attachment rows,
20,000 articles and questions; PostgreSQL: COPY), starts it as production runs it (2 gunicorn
processes × 4 threads, 1 `relais worker`, 1 `relais prober`, on PostgreSQL and Redis; on
SQLite: `relais run`, the embedded mode), then drives a weighted mix of what people do (portal,
opening tickets, agent queues, ticket pages, replies, search, status page, API) with wrk from a
separate process over loopback, as hundreds of signed-in people (one session or API token
each), at increasing concurrency. Per-action latencies come from wrk's Lua `response()` hook
(one connection per wrk thread, so each response follows its own request), timed with
`clock_gettime`.

    python -m bench load --database postgres                     # 1M tickets, 5M replies
    python -m bench load --database sqlite --tickets 100000      # embedded mode
    python -m bench load --database postgres --tickets 20000     # quick validation
    # --reuse measures again on the seeded instance; --profile adds a py-spy profile of one
    # web process at the --profile-at concurrency
    python -m bench load --tickets 20000 --reuse --status-burst  # J1: anonymous status burst
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bench import assets, search
from bench.http_baseline import free_port, percentile, wait_ready
from bench.tickets import (
    PG_ADMIN_URL,
    ROOT,
    bench_environment,
    django_setup,
    relais,
    seed,
    seed_attachments,
)

# Each action: weight in the mix (per 100 requests), who does it, and the status that means
# success (a 302 to the login page is an error, see the Lua script).
MIX: dict[str, tuple[int, str, int]] = {
    "portal home": (8, "collaborator", 200),
    "my tickets": (8, "collaborator", 200),
    "my ticket page": (8, "collaborator", 200),
    "new ticket form": (2, "collaborator", 200),
    "open a ticket (portal form)": (2, "collaborator", 302),
    "suggestions while typing": (11, "collaborator", 200),
    "search page": (6, "both", 200),
    "public status page": (6, "anonymous", 200),
    "agent queue": (12, "agent", 200),
    "agent ticket page": (15, "agent", 200),
    "reply (agent)": (3, "agent", 302),
    "API list": (9, "both", 200),
    "API retrieve": (9, "agent", 200),
    "open a ticket (API)": (1, "collaborator", 201),
}
# --status-burst (SECURITY.md J1): anonymous visitors only, on the status page and its JSON.
STATUS_BURST_MIX: dict[str, tuple[int, str, int]] = {
    "public status page": (70, "anonymous", 200),
    "public status JSON": (30, "anonymous", 200),
}
PREFIXES = ["vp", "vpn se co", "impri", "mot de pa", "outl", "teams so", "wif", "écran n", "badg"]

LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } relais_timespec;
int clock_gettime(int clk_id, relais_timespec *tp);
]]
local ts = ffi.new("relais_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end
local T0 = now_us()  -- records carry their start from here (µs)

%(data)s

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

local out, pending, current, expect, started = nil, 0, "", 200, 0
function init(args)
  out = io.open(OUT_DIR .. "/t" .. tid .. ".log", "w")
  math.randomseed(tid * 7919 + os.time())
end

local function pick(list) return list[math.random(#list)] end
local function form(u)
  return {["Cookie"] = u.c, ["Content-Type"] = "application/x-www-form-urlencoded"}
end

local handlers = {
  ["portal home"] = function() return "GET", "/", {["Cookie"] = pick(COLLABS).c} end,
  ["my tickets"] = function() return "GET", "/demandes/", {["Cookie"] = pick(COLLABS).c} end,
  ["my ticket page"] = function()
    local u = pick(COLLABS)
    return "GET", "/demandes/" .. pick(u.r) .. "/", {["Cookie"] = u.c}
  end,
  ["new ticket form"] = function()
    return "GET", "/demandes/nouvelle/?categorie=" .. CATEGORY, {["Cookie"] = pick(COLLABS).c}
  end,
  ["open a ticket (portal form)"] = function()
    local u = pick(COLLABS)
    return "POST", "/demandes/nouvelle/?categorie=" .. CATEGORY, form(u),
      "csrfmiddlewaretoken=" .. u.t .. "&category=" .. CATEGORY .. "&" .. pick(TICKET_FORMS)
  end,
  ["suggestions while typing"] = function()
    return "GET", "/recherche/suggestions/?contexte=demande&q=" .. pick(PREFIXES),
      {["Cookie"] = pick(COLLABS).c}
  end,
  ["search page"] = function()
    local u = (math.random(2) == 1) and pick(COLLABS) or pick(AGENTS)
    return "GET", "/recherche/?q=" .. pick(QUERIES), {["Cookie"] = u.c}
  end,
  ["public status page"] = function() return "GET", "/veille/statut-public/", {} end,
  ["public status JSON"] = function() return "GET", "/veille/statut-public.json", {} end,
  ["agent queue"] = function()
    return "GET", "/guichet/?queue=" .. pick(QUEUES), {["Cookie"] = pick(AGENTS).c}
  end,
  ["agent ticket page"] = function()
    local u = pick(AGENTS)
    return "GET", "/demandes/" .. pick(u.r) .. "/", {["Cookie"] = u.c}
  end,
  ["reply (agent)"] = function()
    local u = pick(AGENTS)
    return "POST", "/demandes/" .. pick(u.o) .. "/repondre/", form(u),
      "csrfmiddlewaretoken=" .. u.t .. "&" .. pick(REPLY_FORMS)
  end,
  ["API list"] = function()
    if math.random(2) == 1 then
      return "GET", "/api/v1/tickets?queue=team", {["Authorization"] = "Bearer " .. pick(AGENTS).k}
    end
    return "GET", "/api/v1/tickets", {["Authorization"] = "Bearer " .. pick(COLLABS).k}
  end,
  ["API retrieve"] = function()
    local u = pick(AGENTS)
    return "GET", "/api/v1/tickets/" .. pick(u.r), {["Authorization"] = "Bearer " .. u.k}
  end,
  ["open a ticket (API)"] = function()
    return "POST", "/api/v1/tickets",
      {["Authorization"] = "Bearer " .. pick(COLLABS).k, ["Content-Type"] = "application/json"},
      pick(TICKET_JSON)
  end,
}

local seq = 0
function request()
  local roll, chosen = math.random(TOTAL), nil
  if SMOKE then  -- every action in turn
    seq = seq + 1
    chosen = ACTIONS[(seq - 1) %% #ACTIONS + 1]
  else
    for i = 1, #ACTIONS do
      if roll <= ACTIONS[i][2] then chosen = ACTIONS[i]; break end
    end
  end
  current, expect = chosen[1], chosen[3]
  local method, path, headers, body = handlers[current]()
  started = now_us()
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  local took = now_us() - started
  local ok = status == expect
  if ok and status == 302 then
    local location = headers["Location"] or ""
    ok = not string.find(location, "connexion", 1, true)
  end
  out:write(current, "\t", status, "\t", ok and 1 or 0, "\t", string.format("%%.0f", took),
    "\t", string.format("%%.0f", started - T0), "\n")
  pending = pending + 1
  if pending >= 500 then out:flush(); pending = 0 end
end
"""


def lua_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {lua_value(v)}" for k, v in value.items()) + "}"
    return "{" + ", ".join(lua_value(v) for v in value) + "}"


# --- Seeding -----------------------------------------------------------------------------------


def seed_all(env: dict[str, str], args: argparse.Namespace) -> dict[str, float]:
    """The demo organisation and data, then the volume; returns seconds per phase."""
    data_dir = Path(env["RELAIS_DATA_DIR"])
    if args.database == "postgres":
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
            subprocess.run(["psql", PG_ADMIN_URL, "-qc", sql], check=True)
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    phases: dict[str, float] = {}

    def timed(label: str, call: Any, *call_args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        call(*call_args, **kwargs)
        phases[label] = round(time.perf_counter() - started, 1)
        print(f"  {label}: {phases[label]} s", flush=True)

    timed("migrate and demo data", lambda: (relais(env, "migrate", "-v0"), relais(env, "demo")))
    django_setup(env)
    rng = random.Random(17)
    timed("people (bulk_create) with laptops and tokens", assets.bulk_staff, args.users, rng)
    timed("assets (bulk_create)", assets.bulk_assets, args.assets, rng)
    timed(
        "tickets, replies and ticket search entries (COPY / executemany)",
        seed,
        args.tickets,
        args.replies,
        args.database,
        text=search._ticket_text,
        index=True,
    )
    timed(
        "ticket attachments (rows + hard links to 4 shared files)",
        seed_attachments,
        args.attachments,
        args.database,
    )
    timed("articles and questions, indexed", search.seed_knowledge, args.documents)
    if args.database == "sqlite":
        # `relais run` would build the missing report facts at start; PostgreSQL runs no
        # report in the mix and skips it (35+ minutes at 1M tickets on a busy machine).
        timed("report facts (relais reports-rebuild)", relais, env, "reports-rebuild")
    timed("VACUUM ANALYZE" if args.database == "postgres" else "ANALYZE", analyze, args.database)
    return phases


def analyze(database: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if database == "postgres":
            cursor.execute("SET statement_timeout = 0")
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


# --- The people who use it ---------------------------------------------------------------------


def actors(collaborators: int) -> dict[str, Any]:
    """Signed-in sessions (cookie + CSRF secret) and API tokens for many collaborators who
    have tickets and for every desk agent, with the tickets each may open."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from relais.accounts.choices import Role, TokenScope
    from relais.accounts.middleware import SESSION_AUTH_AT, SESSION_SEEN_AT
    from relais.accounts.models import User
    from relais.accounts.services import token_create
    from relais.tickets.models import Category, Ticket

    rng = random.Random(5)
    stamp = int(time.time())

    def person(user: User, references: list[str], open_refs: list[str]) -> dict[str, Any]:
        client = Client()
        client.force_login(user)
        # As the login view leaves it: the session's clocks set (else its first request writes).
        session = client.session
        session[SESSION_AUTH_AT] = session[SESSION_SEEN_AT] = int(time.time())
        session.save()
        csrf = _get_new_csrf_string()
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
            f"; {settings.CSRF_COOKIE_NAME}={csrf}"
        )
        token = token_create(user=user, name=f"load {stamp}", scope=TokenScope.WRITE).secret
        return {"c": cookie, "t": csrf, "k": token, "r": references, "o": open_refs}

    people = list(
        User.objects.filter(role=Role.COLLABORATOR, is_active=True).values_list("pk", flat=True)
    )
    rng.shuffle(people)
    collabs = []
    for pk in people:
        refs = list(Ticket.objects.filter(requester=pk).values_list("reference", flat=True)[:5])
        if refs:
            collabs.append(person(User.objects.get(pk=pk), refs, []))
        if len(collabs) == collaborators:
            break
    agents = []
    desk = User.objects.filter(role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True)
    for user in desk.filter(teams__isnull=False).distinct():
        team_tickets = Ticket.objects.filter(team__in=user.teams.all())
        last = team_tickets.order_by("-pk").values_list("pk", flat=True).first()
        if last is None:
            continue
        sample = rng.sample(range(1, last + 1), min(400, last))
        refs = list(team_tickets.filter(pk__in=sample).values_list("reference", flat=True)[:100])
        open_refs = list(
            team_tickets.exclude(status__in=["closed", "resolved"])
            .order_by("-pk")
            .values_list("reference", flat=True)[:50]
        )
        if refs and open_refs:
            agents.append(person(user, refs, open_refs))
    category = (
        Category.objects.filter(parent__isnull=False, is_active=True, extra_fields=[])
        .values_list("pk", flat=True)
        .first()
    )
    return {"collaborators": collabs, "agents": agents, "category": category}


def lua_script(
    people: dict[str, Any], out_dir: Path, mix: dict[str, tuple[int, str, int]] = MIX
) -> str:
    actions, total = [], 0
    for name, (weight, _who, expect) in mix.items():
        total += weight
        actions.append([name, total, expect])
    titles = [search._ticket_text(random.Random(n)) for n in range(20)]
    data = {
        "OUT_DIR": str(out_dir),
        "SMOKE": False,
        "COLLABS": people["collaborators"],
        "AGENTS": people["agents"],
        "CATEGORY": people["category"],
        "ACTIONS": actions,
        "TOTAL": total,
        "QUEUES": ["team", "team", "mine", "unassigned"],
        "QUERIES": [quote(q) for q in search.QUERIES],
        "PREFIXES": [quote(p) for p in PREFIXES],
        "TICKET_FORMS": [
            urlencode({"title": t, "description": d, "impact": "low", "urgency": "medium"})
            for t, d in titles
        ],
        "TICKET_JSON": [
            json.dumps({"category_id": people["category"], "title": t, "description": d})
            for t, d in titles
        ],
        "REPLY_FORMS": [
            urlencode({"body": body})
            for body in (
                "Bonjour, pouvez-vous redémarrer votre poste et me dire si cela persiste ?",
                "Le correctif est déployé, merci de confirmer que tout fonctionne.",
                "Je prends la main à distance à 14 h, restez connecté s'il vous plaît.",
            )
        ],
    }
    lines = [f"{key} = {lua_value(value)}" for key, value in data.items()]
    return LUA % {"data": "\n".join(lines)}


def replace_data(script: str, values: dict[str, Any]) -> str:
    """A script of `lua_script` with some of its data lines given other values."""
    lines = script.split("\n")
    for i, line in enumerate(lines):
        key = line.split(" = ", 1)[0]
        if key in values:
            lines[i] = f"{key} = {lua_value(values[key])}"
    return "\n".join(lines)


# --- The system under test ---------------------------------------------------------------------


def start_system(
    env: dict[str, str],
    database: str,
    port: int,
    web_workers: int = 2,
    max_requests: int = 5000,
) -> list[subprocess.Popen[bytes]]:
    log = open(Path(env["RELAIS_DATA_DIR"]) / "system.log", "ab")  # noqa: SIM115
    metrics = Path(env["RELAIS_DATA_DIR"]) / "prometheus"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(mode=0o750)
    env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    python = sys.executable
    if database == "sqlite":
        # The embedded mode itself: web (2 gunicorn workers × 4 threads), worker and prober.
        commands = [[python, "-m", "relais", "run", "--bind", f"127.0.0.1:{port}", "--no-demo"]]
    else:
        # As deploy/relais-web.service runs it (2 processes unless asked); a worker, a prober.
        commands = [
            [
                python, "-m", "gunicorn", "relais.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", str(web_workers), "--threads", "4",
                "--worker-class", "gthread", "--max-requests", str(max_requests),
                "--max-requests-jitter", "500", "--timeout", "30", "--graceful-timeout", "20",
                "--keep-alive", "75",
            ],
            [python, "-m", "relais", "worker"],
            [python, "-m", "relais", "prober", "--demo-targets"],
        ]  # fmt: skip
    processes = [subprocess.Popen(c, env=env, stdout=log, stderr=log) for c in commands]
    wait_ready(port, timeout=300)
    return processes


def stop_system(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def process_tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(fields[1])].append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def web_workers(processes: list[subprocess.Popen[bytes]]) -> list[int]:
    pids = [p for proc in processes for p in process_tree(proc.pid)]
    masters = [p for p in pids if "gunicorn" in command_of(p)]
    return [p for p in masters if any(p in process_tree(m)[1:] for m in masters)]


# --- The driver --------------------------------------------------------------------------------


def smoke(
    port: int, script: str, out_dir: Path, mix: dict[str, tuple[int, str, int]] = MIX
) -> None:
    """Every action in turn through wrk itself, before measuring: all must succeed."""
    counts: Counter[str] = Counter()
    for _ in range(12):  # cold processes on a busy machine can be slow: up to 2 minutes
        run_dir = wrk(port, script.replace("SMOKE = false", "SMOKE = true"), out_dir, 2, 10)[0]
        records = read_run(run_dir)
        counts.update(r[0] for r in records)
        errors = Counter(f"{r[0]} → {r[1]}" for r in records if not r[2])
        if errors:
            raise SystemExit(f"smoke run failed: {dict(errors)}")
        missing = [name for name in mix if counts[name] == 0]
        if not missing:
            return
    raise SystemExit(f"smoke run: never ran {missing}")


def wrk(
    port: int, script: str, out_dir: Path, connections: int, seconds: float
) -> tuple[Path, str, float]:
    """One wrk run, one connection per wrk thread; returns the log directory, wrk's output
    and the CPU seconds wrk used."""
    run_dir = Path(tempfile.mkdtemp(dir=out_dir))
    script_path = run_dir / "mix.lua"
    script_path.write_text(script.replace("__OUT_DIR__", str(run_dir)))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(
        [
            "wrk", "-t", str(connections), "-c", str(connections), "-d", f"{int(seconds)}s",
            "--timeout", "10s", "-s", str(script_path), f"http://127.0.0.1:{port}",
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return run_dir, output, cpu


def read_run(run_dir: Path) -> list[tuple[str, int, bool, float]]:
    records = []
    for log in run_dir.glob("t*.log"):
        for line in log.read_text().splitlines():
            action, status, ok, micros = line.split("\t")[:4]
            records.append((action, int(status), ok == "1", int(micros) / 1000))
    shutil.rmtree(run_dir)
    return records


def summarise(
    records: list[tuple[str, int, bool, float]],
    seconds: float,
    mix: dict[str, tuple[int, str, int]] = MIX,
) -> dict[str, Any]:
    def stats(rows: list[tuple[str, int, bool, float]]) -> dict[str, Any]:
        latencies = [r[3] for r in rows]
        return {
            "requests": len(rows),
            "errors": sum(1 for r in rows if not r[2]),
            "rps": round(len(rows) / seconds, 1),
            "p50_ms": round(percentile(latencies, 50), 1) if rows else None,
            "p95_ms": round(percentile(latencies, 95), 1) if rows else None,
            "p99_ms": round(percentile(latencies, 99), 1) if rows else None,
        }

    by_action: dict[str, list[tuple[str, int, bool, float]]] = defaultdict(list)
    for record in records:
        by_action[record[0]].append(record)
    statuses = Counter(f"{r[0]} → {r[1]}" for r in records if not r[2])
    return {
        "overall": stats(records),
        "actions": {name: stats(by_action[name]) for name in mix},
        "error_statuses": dict(statuses.most_common(10)),
    }


def profile_web(pid: int, seconds: int, out: Path) -> str:
    """py-spy on one web process; returns the top functions by own and by total samples."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    raw = out.with_suffix(".collapsed")
    done = subprocess.run(
        [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
         "--format", "raw", "--function", "--output", str(raw), "--nonblocking"],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    if not raw.exists():  # e.g. the worker was recycled (--max-requests) meanwhile
        return f"py-spy failed: {done.stderr.strip()[-300:]}"
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f for f in stack.split(";") if f]
        if not frames:
            continue
        n = int(count)
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n

    if not samples:
        return "py-spy: no busy samples"

    def interesting(frame: str) -> bool:
        return "relais" in frame or "django" in frame or "ninja" in frame or "psycopg" in frame

    lines = [f"busy samples: {samples}", "", "top own time:"]
    lines += [f"  {n * 100 / samples:5.1f} %  {frame}" for frame, n in own.most_common(25)]
    lines += ["", "top inclusive time (relais, django, ninja, psycopg):"]
    lines += [
        f"  {n * 100 / samples:5.1f} %  {frame}"
        for frame, n in total.most_common(400)
        if interesting(frame)
    ][:40]
    text = "\n".join(lines)
    out.write_text(text + "\n")
    return text


def markdown(steps: list[dict[str, Any]], saturation: int | None) -> str:
    lines = [
        "| connections | req/s | p50 | p95 | p99 | errors | web CPU / req | wrk CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in steps:
        o = step["overall"]
        mark = " ← saturation" if step["connections"] == saturation else ""
        lost = sum(int(n) for n in re.findall(r"\d+", step["socket_errors"]))
        errors = f"{o['errors']} + {lost} timeouts" if lost else str(o["errors"])
        lines.append(
            f"| {step['connections']}{mark} | {o['rps']} | {o['p50_ms']} ms | {o['p95_ms']} ms "
            f"| {o['p99_ms']} ms | {errors} | {step['web_cpu_ms_per_request']} ms "
            f"| {step['wrk_cpu_percent']} % |"
        )
    lines += ["", "p95 per action (ms) at each step:", ""]
    lines.append("| action | share | " + " | ".join(str(s["connections"]) for s in steps) + " |")
    lines.append("|---|---:|" + "---:|" * len(steps))
    for name, (weight, _who, _expect) in MIX.items():
        cells = [str(s["actions"][name]["p95_ms"] or "–") for s in steps]
        lines.append(f"| {name} | {weight} % | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def status_burst(port: int, out: Path, database: str, connections: int, seconds: int) -> int:
    """SECURITY.md J1's burst: anonymous visitors on the status page (70 %) and its JSON
    (30 %) at a fixed number of connections; the target is 200 req/s at p95 < 300 ms. The
    load average is read during the run: the machine is shared."""
    people = {"collaborators": [], "agents": [], "category": 0}
    work = Path(tempfile.mkdtemp(prefix="relais-burst-"))
    script = lua_script(people, Path("__OUT_DIR__"), STATUS_BURST_MIX)
    try:
        smoke(port, script, work, STATUS_BURST_MIX)
        wrk(port, script, work, connections, 5)  # warm-up
        sampled: list[str] = []

        def sample_load() -> None:
            for _ in range(3):
                time.sleep(seconds / 3)
                sampled.append(Path("/proc/loadavg").read_text().split()[0])

        sampler = ThreadPoolExecutor(1).submit(sample_load)
        run_dir, output, wrk_cpu = wrk(port, script, work, connections, seconds)
        sampler.result()
        result = summarise(read_run(run_dir), seconds, STATUS_BURST_MIX)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    o = result["overall"]
    socket_errors = re.search(r"Socket errors: (.*)", output)
    met = o["rps"] >= 200 and (o["p95_ms"] or 0) < 300 and o["errors"] == 0
    lines = [
        f"status-page burst, {connections} connections, {seconds} s: {o['rps']} req/s  "
        f"p50 {o['p50_ms']} ms  p95 {o['p95_ms']} ms  p99 {o['p99_ms']} ms  "
        f"errors {o['errors']}{'  ' + socket_errors.group(1) if socket_errors else ''}  "
        f"wrk CPU {round(wrk_cpu * 100 / seconds)} %  load average during the run "
        f"{' / '.join(sampled)}  → target (200 req/s, p95 < 300 ms) "
        + ("met" if met else "NOT met"),
    ]
    for name, stats in result["actions"].items():
        lines.append(
            f"  {name}: {stats['rps']} req/s  p50 {stats['p50_ms']} ms  p95 {stats['p95_ms']} ms"
            f"  p99 {stats['p99_ms']} ms  errors {stats['errors']}"
        )
    print("\n".join(lines), flush=True)
    (out / f"load-{database}-status-burst.json").write_text(
        json.dumps(
            {
                "connections": connections,
                "seconds": seconds,
                "load_average_during": sampled,
                "wrk_cpu_percent": round(wrk_cpu * 100 / seconds, 1),
                **result,
            },
            indent=2,
        )
    )
    return 0 if met else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--tickets", type=int, default=None, help="1,000,000 / SQLite 100,000")
    parser.add_argument("--replies", type=int, default=None, help="5 per ticket")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--assets", type=int, default=200_000)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--attachments", type=int, default=200_000, help="ticket attachment rows")
    parser.add_argument("--collaborators", type=int, default=400, help="signed-in requesters")
    parser.add_argument("--steps", default="4,8,16,32,64", help="concurrent connections")
    parser.add_argument("--duration", type=int, default=20, help="seconds per step")
    parser.add_argument("--warmup", type=int, default=15)
    parser.add_argument("--redis-db", type=int, default=13, help="flushed before the run")
    parser.add_argument("--reuse", action="store_true", help="Keep an already seeded instance")
    parser.add_argument("--name", default="load", help="relais_<name>, /tmp/relais-<name>-*")
    parser.add_argument("--seed-only", action="store_true", help="Seed, do not measure")
    parser.add_argument("--profile", action="store_true", help="py-spy one web process")
    parser.add_argument("--profile-at", type=int, default=32, help="at this step")
    parser.add_argument(
        "--status-burst",
        action="store_true",
        help="Only the anonymous status-page burst (J1: 200 req/s at p95 < 300 ms)",
    )
    parser.add_argument("--burst-connections", type=int, default=8)
    parser.add_argument("--burst-duration", type=int, default=25, help="seconds")
    args = parser.parse_args(argv)
    if not args.seed_only and not shutil.which("wrk"):
        print("wrk is required: apt-get install wrk")
        return 1
    args.tickets = args.tickets or (1_000_000 if args.database == "postgres" else 100_000)
    args.replies = args.replies if args.replies is not None else args.tickets * 5

    env = bench_environment(args.database, args.name)
    env["RELAIS_AXES_ENABLED"] = "1"  # as in production
    if args.database == "postgres":
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
    marker = Path(env["RELAIS_DATA_DIR"]) / "seeded.json"
    if args.reuse and marker.exists():
        seeded = json.loads(marker.read_text())
        relais(env, "migrate", "-v0")
        django_setup(env)
    else:
        print(f"seeding {args.database}: {args.tickets:,} tickets, {args.replies:,} replies…")
        started = time.perf_counter()
        phases = seed_all(env, args)
        seeded = {
            "tickets": args.tickets,
            "replies": args.replies,
            "users": args.users,
            "assets": args.assets,
            "documents": args.documents,
            "attachments": args.attachments,
            "phases_s": phases,
            "total_s": round(time.perf_counter() - started, 1),
        }
        marker.write_text(json.dumps(seeded, indent=2))
        print(f"seeded in {seeded['total_s']} s", flush=True)
    if args.seed_only:
        return 0
    if "REDIS_URL" in env:
        subprocess.run(["redis-cli", "-n", str(args.redis_db), "flushdb"], check=True)

    if args.status_burst:
        out = ROOT / "var" / "bench"
        out.mkdir(parents=True, exist_ok=True)
        port = free_port()
        processes = start_system(env, args.database, port)
        try:
            return status_burst(
                port, out, args.database, args.burst_connections, args.burst_duration
            )
        finally:
            stop_system(processes)

    people = actors(args.collaborators)
    print(
        f"{len(people['collaborators'])} collaborators and {len(people['agents'])} agents "
        "signed in (one session and one API token each)",
        flush=True,
    )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="relais-load-"))
    script = lua_script(people, Path("__OUT_DIR__"))
    port = free_port()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    processes = start_system(env, args.database, port)
    steps: list[dict[str, Any]] = []
    profile_text = None
    try:
        smoke(port, script, work)
        wrk(port, script, work, 16, args.warmup)  # warm-up: caches, plans, connections
        for connections in [int(c) for c in args.steps.split(",")]:
            system = [p for proc in processes for p in process_tree(proc.pid)]
            cpu_before = cpu_seconds(system)
            started = time.perf_counter()
            profiler = None
            workers = web_workers(processes)
            if args.profile and connections == args.profile_at and workers:
                profiler = ThreadPoolExecutor(1).submit(
                    profile_web,
                    workers[0],
                    max(5, args.duration - 4),
                    out / f"load-{args.database}-profile.txt",
                )
            run_dir, output, wrk_cpu = wrk(port, script, work, connections, args.duration)
            elapsed = time.perf_counter() - started
            cpu_after = cpu_seconds(system)
            if profiler is not None:
                profile_text = profiler.result()
            web = [p for p in system if "gunicorn" in command_of(p)]
            web_cpu = sum(cpu_after.get(p, 0) - cpu_before.get(p, 0) for p in web)
            other_cpu = sum(
                cpu_after.get(p, 0) - cpu_before.get(p, 0) for p in system if p not in web
            )
            result = summarise(read_run(run_dir), args.duration)
            requests = max(1, result["overall"]["requests"])
            socket_errors = re.search(r"Socket errors: (.*)", output)
            step = {
                "connections": connections,
                **result,
                "socket_errors": socket_errors.group(1) if socket_errors else "",
                "web_cpu_ms_per_request": round(web_cpu * 1000 / requests, 1),
                "worker_prober_cpu_percent": round(other_cpu * 100 / elapsed, 1),
                "wrk_cpu_percent": round(wrk_cpu * 100 / elapsed, 1),
            }
            steps.append(step)
            o = result["overall"]
            print(
                f"{connections:>3} connections: {o['rps']:>6} req/s  p50 {o['p50_ms']} ms  "
                f"p95 {o['p95_ms']} ms  p99 {o['p99_ms']} ms  errors {o['errors']}  "
                f"web CPU {step['web_cpu_ms_per_request']} ms/req  wrk {step['wrk_cpu_percent']} %"
                + (f"  {result['error_statuses']}" if o["errors"] else ""),
                flush=True,
            )
    finally:
        stop_system(processes)
        shutil.rmtree(work, ignore_errors=True)
    saturation = None
    for previous, step in itertools.pairwise(steps):
        if step["overall"]["rps"] < previous["overall"]["rps"] * 1.05:
            saturation = previous["connections"]
            break
    for step in steps:
        if step["overall"]["p95_ms"] and step["overall"]["p95_ms"] > 200:
            if saturation is None or step["connections"] < saturation:
                saturation = step["connections"]
            break
    table = markdown(steps, saturation)
    print(table)
    if profile_text:
        print(profile_text)
    (out / f"load-{args.database}.md").write_text(table + "\n")
    (out / f"load-{args.database}.json").write_text(
        json.dumps(
            {
                "database": args.database,
                "seeded": seeded,
                "load_average_before": load_before,
                "mix": {name: weight for name, (weight, _w, _e) in MIX.items()},
                "saturation_connections": saturation,
                "steps": steps,
            },
            indent=2,
        )
    )
    return 0
