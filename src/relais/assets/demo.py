"""Demo data of the asset park: a catalogue, a few thousand assets (most staff with a laptop,
many with a VPN token), a deployment campaign in progress and loans, some overdue.

Written in bulk through the ORM, like the other seeders (no audit rows, no mails)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from relais.accounts.choices import OrgUnitKind
from relais.assets.choices import AssetKind, AssetState, EventKind, TargetState
from relais.assets.models import (
    Asset,
    AssetEvent,
    AssetModel,
    AssetType,
    Campaign,
    CampaignTarget,
    Loan,
    RemoteAccess,
    Supplier,
)

if TYPE_CHECKING:
    from relais.core.demo import DemoContext

ASSET_COUNT = 3000  # at scale 1.0
MODELS = [
    (AssetKind.LAPTOP, "Dell", "Latitude 5440", "Core i5, 16 Go, SSD 512 Go, 14 pouces", "1049.00"),
    (AssetKind.LAPTOP, "HP", "EliteBook 840 G10", "Core i7, 32 Go, SSD 1 To, 14 pouces", "1390.00"),
    (AssetKind.LAPTOP, "Lenovo", "ThinkPad T14 Gen 4", "Ryzen 7, 16 Go, SSD 512 Go", "1180.00"),
    (AssetKind.DESKTOP, "Dell", "OptiPlex 7010", "Core i5, 16 Go, SSD 256 Go", "780.00"),
    (AssetKind.SCREEN, "Iiyama", "ProLite XUB2493", "24 pouces, IPS", "159.00"),
    (AssetKind.PHONE, "Samsung", "Galaxy A54", "128 Go", "399.00"),
    (AssetKind.TABLET, "Samsung", "Galaxy Tab A9+", "64 Go, 4G", "279.00"),
    (AssetKind.DONGLE_4G, "Huawei", "E3372", "4G LTE", "39.00"),
    (AssetKind.SECURITY_KEY, "Yubico", "YubiKey 5 NFC", "FIDO2, OTP", "55.00"),
    (AssetKind.DOCKING_STATION, "Dell", "WD19S", "USB-C, 130 W", "189.00"),
    (AssetKind.HEADSET, "Jabra", "Evolve2 40", "USB-C, micro antibruit", "95.00"),
]
SUPPLIERS = ["UGAP", "Bechtle", "Econocom"]


def seed(ctx: DemoContext) -> str:
    rng = ctx.rng
    users = [u for u in ctx.data["users"] if u.is_active]
    sites = list(ctx.data["sites"].values())
    directions = list(ctx.data["directions"].values())
    today = timezone.localdate()
    now = timezone.now()
    types = {t.kind: t for t in AssetType.objects.all()}
    suppliers = [Supplier.objects.get_or_create(name=name)[0] for name in SUPPLIERS]
    models: dict[str, list[tuple[AssetModel, Decimal]]] = {}
    for kind, manufacturer, name, specs, cost in MODELS:
        model, _created = AssetModel.objects.get_or_create(
            manufacturer=manufacturer,
            name=name,
            defaults={"asset_type": types[kind], "specifications": specs},
        )
        models.setdefault(kind, []).append((model, Decimal(cost)))

    total = max(60, int(ASSET_COUNT * ctx.scale))
    assets: list[Asset] = []

    def add(
        kind: str, state: str, holder_id: int | None = None, site_id: int | None = None
    ) -> Asset:
        model, cost = rng.choice(models[kind])
        bought = today - timedelta(days=rng.randint(30, 5 * 365))
        number = len(assets) + 1
        asset = Asset(
            tag=f"RLS-{number:06d}",
            serial_number=f"{model.manufacturer[:2].upper()}{rng.randint(10**7, 10**8 - 1)}",
            hostname=f"PC{number:05d}" if kind in (AssetKind.LAPTOP, AssetKind.DESKTOP) else "",
            mac_address=":".join(f"{rng.randint(0, 255):02X}" for _ in range(6))
            if kind in (AssetKind.LAPTOP, AssetKind.DESKTOP)
            else "",
            model=model,
            asset_type_id=model.asset_type_id,
            state=state,
            assigned_to_id=holder_id,
            site_id=site_id or rng.choice(sites).pk,
            stock_room="Magasin DSI" if state == AssetState.IN_STOCK else "",
            supplier=rng.choice(suppliers),
            purchase_date=bought,
            warranty_end=bought + timedelta(days=3 * 365),
            cost=cost,
            created_at=now,
            updated_at=now,
        )
        assets.append(asset)
        return asset

    # Most staff have a laptop, many a VPN token; a few have nothing yet (readiness gaps).
    for person in users:
        if person.email == "collaborateur@relais.test" or rng.random() < 0.78:
            add(AssetKind.LAPTOP, AssetState.ASSIGNED, person.pk, person.site_id)
        if person.email == "collaborateur@relais.test" or rng.random() < 0.6:
            add(AssetKind.SECURITY_KEY, AssetState.ASSIGNED, person.pk, person.site_id)
        if rng.random() < 0.3:
            add(AssetKind.PHONE, AssetState.ASSIGNED, person.pk, person.site_id)
        if rng.random() < 0.25:
            add(AssetKind.SCREEN, AssetState.ASSIGNED, person.pk, person.site_id)
    spread = [
        (AssetKind.SCREEN, 0.25),
        (AssetKind.DESKTOP, 0.15),
        (AssetKind.LAPTOP, 0.2),
        (AssetKind.DOCKING_STATION, 0.1),
        (AssetKind.HEADSET, 0.12),
        (AssetKind.DONGLE_4G, 0.08),
        (AssetKind.TABLET, 0.05),
        (AssetKind.SECURITY_KEY, 0.05),
    ]
    weights = [w for _k, w in spread]
    for _extra in range(max(40, total - len(assets))):
        kind = rng.choices([k for k, _w in spread], weights)[0]
        roll = rng.random()
        state = (
            AssetState.IN_STOCK
            if roll < 0.55
            else AssetState.PREPARED
            if roll < 0.65
            else AssetState.IN_REPAIR
            if roll < 0.72
            else AssetState.RETIRED
            if roll < 0.95
            else rng.choice([AssetState.LOST, AssetState.STOLEN])
        )
        add(kind, state)
    Asset.objects.bulk_create(assets, batch_size=1000)
    AssetEvent.objects.bulk_create(
        [
            AssetEvent(
                asset=a, kind=EventKind.IMPORTED, to_state=a.state, to_user_id=a.assigned_to_id
            )
            for a in assets
        ],
        batch_size=2000,
    )

    # Remote access recorded on people (VPN account with MFA), for some without a token.
    RemoteAccess.objects.bulk_create(
        [RemoteAccess(person=p, enabled=True) for p in users if rng.random() < 0.15],
        ignore_conflicts=True,
    )

    # Loans of kit items (headsets, 4G dongles, tablets), some overdue.
    lendable = [
        a
        for a in assets
        if a.state == AssetState.IN_STOCK
        and a.asset_type_id
        in {types[k].pk for k in (AssetKind.HEADSET, AssetKind.DONGLE_4G, AssetKind.TABLET)}
    ]
    loans: list[Loan] = []
    for asset in lendable[: max(6, len(lendable) // 3)]:
        borrower = rng.choice(users)
        start = today - timedelta(days=rng.randint(1, 40))
        due = start + timedelta(days=rng.choice([7, 14, 30]))
        asset.state = AssetState.ON_LOAN
        asset.assigned_to_id = borrower.pk
        loans.append(Loan(asset=asset, borrower=borrower, starts_on=start, due_on=due))
    Asset.objects.bulk_update(
        [loan.asset for loan in loans], ["state", "assigned_to"], batch_size=500
    )
    Loan.objects.bulk_create(loans, batch_size=500)
    overdue = sum(1 for loan in loans if loan.due_on < today)

    # A telework laptop campaign in progress over two directions.
    supervisor = next((u for u in users if u.email == "superviseur@relais.test"), users[0])
    campaign = Campaign.objects.create(
        name="Portables télétravail 2026",
        description="Remplacer les postes fixes des agents de proximité par des portables.",
        due_on=today + timedelta(days=60),
        created_by=supervisor,
    )
    campaign.asset_models.set([m for m, _c in models[AssetKind.LAPTOP]])
    campaign.org_units.set(directions[:2])
    chosen = {d.pk for d in directions[:2]}
    targets = []
    for person in users:
        unit = person.org_unit
        direction_id = None
        if unit is not None:
            direction_id = unit.pk if unit.kind == OrgUnitKind.DIRECTION else unit.parent_id
        if direction_id in chosen:
            roll = rng.random()
            target_state = (
                TargetState.DELIVERED
                if roll < 0.45
                else TargetState.READY
                if roll < 0.6
                else TargetState.REFUSED
                if roll < 0.65
                else TargetState.TO_PREPARE
            )
            targets.append(
                CampaignTarget(
                    campaign=campaign, person=person, direction_id=direction_id, state=target_state
                )
            )
    CampaignTarget.objects.bulk_create(targets, batch_size=1000)
    return (
        f"{len(assets)} assets, {len(loans)} loans ({overdue} overdue), "
        f"1 campaign ({len(targets)} people)"
    )
