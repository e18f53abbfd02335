"""Asset-park fixtures: a small catalogue (laptop, VPN token, headset), assets made through the
services, and the ticket fixtures of tests/tickets."""

from __future__ import annotations

from typing import Any

import pytest

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.assets import services
from relais.assets.choices import AssetKind
from relais.assets.models import Asset, AssetModel, AssetType
from tests.factories import UserFactory
from tests.tickets.conftest import (  # noqa: F401 (fixtures re-exported for tests/assets)
    requester,
    ticket,
    vpn_category,
    vpn_team,
)


@pytest.fixture
def desk(db: Any) -> User:
    """The agent who manages the park in these tests."""
    return UserFactory(role=Role.AGENT, display_name="Agent Parc")


@pytest.fixture
def laptop_model(db: Any) -> AssetModel:
    return AssetModel.objects.create(
        asset_type=AssetType.objects.get(kind=AssetKind.LAPTOP),
        manufacturer="Dell",
        name="Latitude 5440",
        specifications="i5, 16 Go, SSD 512 Go",
    )


@pytest.fixture
def token_model(db: Any) -> AssetModel:
    return AssetModel.objects.create(
        asset_type=AssetType.objects.get(kind=AssetKind.SECURITY_KEY),
        manufacturer="Yubico",
        name="YubiKey 5 NFC",
    )


@pytest.fixture
def headset_model(db: Any) -> AssetModel:
    return AssetModel.objects.create(
        asset_type=AssetType.objects.get(kind=AssetKind.HEADSET),
        manufacturer="Jabra",
        name="Evolve2 40",
    )


def make_asset(actor: User, model: AssetModel, **fields: Any) -> Asset:
    return services.asset_create(actor=actor, data=services.AssetData(model=model, **fields))


def assign(actor: User, asset: Asset, person: User) -> Asset:
    services.asset_move(actor=actor, asset=asset, state="prepared")
    return services.asset_move(actor=actor, asset=asset, state="assigned", holder=person)


@pytest.fixture
def laptop(desk: User, laptop_model: AssetModel) -> Asset:
    return make_asset(desk, laptop_model, tag="PC-0001", serial_number="5CG1234XYZ")
