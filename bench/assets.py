"""Asset-park benchmark.

1. Import 50,000 assets from a CSV file (Windows-1252, semicolons, a third assigned to people)
   through the same service as the import page: checked line by line, then written.
2. Bulk-add assets up to 200,000, then time the park list with filters (HTML page, in-process
   client) and the API list.
3. Bulk-add people up to 3,000 staff with laptops and tokens, then time the telework readiness
   dashboard.

    python -m bench assets --database sqlite
    python -m bench assets --database postgres
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime
from typing import Any

from bench.http_baseline import measure
from bench.tickets import ROOT, bench_environment, fresh_instance

KINDS = [
    ("Ordinateur portable", "Dell", "Latitude 5440"),
    ("Ordinateur portable", "HP", "EliteBook 840"),
    ("Écran", "Iiyama", "ProLite 24"),
    ("Clé de sécurité / jeton VPN", "Yubico", "YubiKey 5 NFC"),
    ("Casque", "Jabra", "Evolve2 40"),
    ("Téléphone", "Samsung", "Galaxy A54"),
]


def import_file(rows: int, emails: list[str], sites: list[str], rng: random.Random) -> bytes:
    lines = [
        "étiquette;numéro de série;nom d'hôte;adresse MAC;type;fabricant;modèle;état;"
        "utilisateur;site;date d'achat;coût"
    ]
    for i in range(rows):
        kind, manufacturer, model = rng.choice(KINDS)
        assigned = rng.random() < 0.35
        lines.append(
            ";".join(
                [
                    f"IMP-{i:06d}",
                    f"SN{rng.randint(10**8, 10**9 - 1)}",
                    f"PC{i:06d}" if kind == "Ordinateur portable" else "",
                    ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
                    kind,
                    manufacturer,
                    model,
                    "Attribué" if assigned else "En stock",
                    rng.choice(emails) if assigned else "",
                    rng.choice(sites),
                    f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20{rng.randint(19, 25)}",
                    f"{rng.randint(30, 1500)},{rng.randint(0, 99):02d}",
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def bulk_assets(total: int, rng: random.Random) -> None:
    """Top the park up to `total` assets, in bulk."""
    from relais.accounts.models import Site, User
    from relais.assets.choices import AssetState
    from relais.assets.models import Asset, AssetModel

    models = list(AssetModel.objects.all())
    sites = list(Site.objects.values_list("pk", flat=True))
    people = list(User.objects.values_list("pk", flat=True))
    start = Asset.objects.count()
    now = datetime.now(UTC)
    batch: list[Asset] = []
    states = [AssetState.IN_STOCK] * 3 + [
        AssetState.RETIRED,
        AssetState.IN_REPAIR,
        AssetState.PREPARED,
    ]
    for i in range(start, total):
        model = rng.choice(models)
        assigned = rng.random() < 0.4
        batch.append(
            Asset(
                tag=f"BLK-{i:07d}",
                serial_number=f"SB{rng.randint(10**8, 10**9 - 1)}",
                model=model,
                asset_type_id=model.asset_type_id,
                state=AssetState.ASSIGNED if assigned else rng.choice(states),
                assigned_to_id=rng.choice(people) if assigned else None,
                site_id=rng.choice(sites),
                created_at=now,
                updated_at=now,
            )
        )
        if len(batch) == 5000:
            Asset.objects.bulk_create(batch)
            batch = []
    Asset.objects.bulk_create(batch)


def bulk_staff(total: int, rng: random.Random) -> None:
    """Top the directory up to `total` active people, most with a laptop and a token."""
    from relais.accounts.models import OrgUnit, Site, User
    from relais.assets.choices import AssetKind, AssetState
    from relais.assets.models import Asset, AssetModel

    template = User.objects.first()
    assert template is not None
    units = list(OrgUnit.objects.values_list("pk", flat=True))
    sites = list(Site.objects.values_list("pk", flat=True))
    start = User.objects.count()
    User.objects.bulk_create(
        [
            User(
                email=f"agent{i}@bench.test",
                display_name=f"Agent {i}",
                role="collaborator",
                org_unit_id=rng.choice(units),
                site_id=rng.choice(sites),
                password=template.password,
            )
            for i in range(start, total)
        ],
        batch_size=1000,
    )
    laptop = AssetModel.objects.filter(asset_type__kind=AssetKind.LAPTOP).first()
    token = AssetModel.objects.filter(asset_type__kind=AssetKind.SECURITY_KEY).first()
    assert laptop is not None and token is not None
    now = datetime.now(UTC)
    new_people = list(
        User.objects.filter(email__endswith="@bench.test").values_list("pk", flat=True)
    )
    assets = []
    for n, pk in enumerate(new_people):
        for model, share in ((laptop, 0.8), (token, 0.6)):
            if rng.random() < share:
                assets.append(
                    Asset(
                        tag=f"STF-{n:05d}-{model.pk}",
                        model=model,
                        asset_type_id=model.asset_type_id,
                        state=AssetState.ASSIGNED,
                        assigned_to_id=pk,
                        created_at=now,
                        updated_at=now,
                    )
                )
    Asset.objects.bulk_create(assets, batch_size=2000)


def analyze(database: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if database == "postgres" else "ANALYZE")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench assets")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--assets", type=int, default=200_000)
    parser.add_argument("--staff", type=int, default=3_000)
    parser.add_argument("--requests", type=int, default=100, help="measured per page")
    args = parser.parse_args(argv)

    env = bench_environment(args.database, "bench-assets")
    fresh_instance(env, args.database)

    from django.test import Client

    from relais.accounts.models import Site, User
    from relais.assets import services
    from relais.assets.models import Asset, AssetType

    rng = random.Random(11)
    admin = User.objects.get(email="admin@relais.test")
    emails = list(User.objects.filter(is_active=True).values_list("email", flat=True))
    sites = list(Site.objects.values_list("code", flat=True))
    raw = import_file(args.import_rows, emails, sites, rng)
    started = time.perf_counter()
    result = services.assets_import(actor=admin, raw=raw, dry_run=False)
    import_seconds = time.perf_counter() - started
    assert not result.errors, result.errors[:3]
    assert result.created == args.import_rows == Asset.objects.count()
    print(
        f"import {args.import_rows} assets from CSV ({len(raw) / 1e6:.1f} MB): "
        f"{import_seconds:.1f} s",
        flush=True,
    )

    started = time.perf_counter()
    bulk_assets(args.assets, rng)
    bulk_staff(args.staff, rng)
    analyze(args.database)
    print(
        f"seeded to {Asset.objects.count()} assets and "
        f"{User.objects.filter(is_active=True).count()} people "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    agent = User.objects.get(email="agent@relais.test")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    types = list(AssetType.objects.values_list("pk", flat=True))
    site_ids = list(Site.objects.values_list("pk", flat=True))
    states = ["in_stock", "assigned", "in_repair", "retired"]
    filters = [
        {"type": rng.choice(types), "state": rng.choice(states)}
        if i % 4 == 0
        else {"site": rng.choice(site_ids), "state": rng.choice(states)}
        if i % 4 == 1
        else {"q": f"IMP-0{rng.randint(0, 4)}{rng.randint(0, 9)}"}
        if i % 4 == 2
        else {"type": rng.choice(types), "page": rng.randint(1, 20)}
        for i in range(args.requests)
    ]

    def page(params: dict[str, Any]) -> None:
        response = client.get("/parc/", params)
        assert response.status_code == 200, response.status_code

    def api(params: dict[str, Any]) -> None:
        response = client.get("/api/v1/assets", {k: v for k, v in params.items() if k != "page"})
        assert response.status_code == 200, response.status_code

    def readiness(_: Any) -> None:
        response = client.get("/parc/teletravail/")
        assert response.status_code == 200, response.status_code

    results = {
        "asset list with filters (HTML, 200k)": measure(
            "asset list with filters (HTML, 200k)", page, filters
        ),
        "asset list with filters (API, 200k)": measure(
            "asset list with filters (API, 200k)", api, filters
        ),
        "readiness dashboard (3,000 staff)": measure(
            "readiness dashboard (3,000 staff)", readiness, range(max(20, args.requests // 3))
        ),
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"assets-{args.database}.json").write_text(
        json.dumps(
            {
                "database": args.database,
                "import_rows": args.import_rows,
                "import_seconds": round(import_seconds, 1),
                "assets": Asset.objects.count(),
                "staff": User.objects.filter(is_active=True).count(),
                "results": results,
            },
            indent=2,
        )
    )
    return 0
