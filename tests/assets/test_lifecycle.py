"""The asset lifecycle: every allowed transition is accepted and written to the history, every
other one is refused with a sentence and changes nothing."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from relais.accounts.models import User
from relais.assets import services
from relais.assets.choices import NEEDS_HOLDER, TRANSITIONS, AssetState
from relais.assets.models import Asset, AssetEvent, AssetModel
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from tests.assets.conftest import make_asset
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL_PAIRS = list(itertools.product(AssetState.values, AssetState.values))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def _asset_in(state: str, actor: User, model: AssetModel, holder: User) -> Asset:
    asset = make_asset(actor, model)
    Asset.objects.filter(pk=asset.pk).update(
        state=state,
        assigned_to=holder if state not in ("in_stock", "prepared", "retired") else None,
    )
    return Asset.objects.get(pk=asset.pk)


def test_the_lifecycle_has_the_documented_shape() -> None:
    assert TRANSITIONS[AssetState.IN_STOCK] >= {AssetState.PREPARED, AssetState.RETIRED}
    assert TRANSITIONS[AssetState.PREPARED] >= {AssetState.ASSIGNED, AssetState.ON_LOAN}
    assert TRANSITIONS[AssetState.RETIRED] == frozenset()
    assert len(ALLOWED) == 24
    assert len(REFUSED) == 64 - 24


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_every_allowed_transition_is_written_to_the_history(
    old: str, new: str, desk: User, laptop_model: AssetModel
) -> None:
    holder = UserFactory(display_name="Dominique Petit")
    asset = _asset_in(old, desk, laptop_model, holder)
    if new == AssetState.ON_LOAN or (old == AssetState.ON_LOAN and new == AssetState.IN_STOCK):
        # Loans start and end through the loan services (tested in test_loans).
        with pytest.raises(ValidationError):
            services.asset_move(actor=desk, asset=asset, state=new, holder=holder)
        return
    services.asset_move(
        actor=desk,
        asset=asset,
        state=new,
        holder=holder if new in NEEDS_HOLDER else None,
        reason="contrôle",
    )
    asset.refresh_from_db()
    assert asset.state == new
    event = AssetEvent.objects.filter(asset=asset).first()
    assert event is not None
    assert (event.from_state, event.to_state, event.actor, event.reason) == (
        old,
        new,
        desk,
        "contrôle",
    )
    if new in ("in_stock", "prepared", "retired"):
        assert asset.assigned_to is None
    if new == AssetState.ASSIGNED:
        assert asset.assigned_to == holder
        assert event.to_user == holder
    assert AuditLogEntry.objects.filter(
        action=AuditAction.ASSET_CHANGE, object_id=str(asset.pk), changes__state=[old, new]
    ).exists()


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_every_other_transition_is_refused_and_changes_nothing(
    old: str, new: str, desk: User, laptop_model: AssetModel
) -> None:
    holder = UserFactory()
    asset = _asset_in(old, desk, laptop_model, holder)
    events = AssetEvent.objects.filter(asset=asset).count()
    with pytest.raises(ValidationError) as refused:
        services.asset_move(actor=desk, asset=asset, state=new, holder=holder)
    message = " ".join(refused.value.messages)
    assert "ne peut pas passer de" in message or "formulaire de prêt" in message
    asset.refresh_from_db()
    assert asset.state == old
    assert AssetEvent.objects.filter(asset=asset).count() == events


def test_refusal_names_the_states_in_french(desk: User, laptop_model: AssetModel) -> None:
    from django.utils import translation

    asset = make_asset(desk, laptop_model)
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        services.asset_move(actor=desk, asset=asset, state=AssetState.ASSIGNED, holder=desk)
    assert refused.value.messages == [
        "Un équipement ne peut pas passer de « En stock » à « Assigné ». Depuis « En stock », "
        "il peut passer à : En réparation, Perdu, En prêt, Préparé, Réformé, Volé."
    ]


def test_assigning_needs_a_person(desk: User, laptop_model: AssetModel) -> None:
    asset = make_asset(desk, laptop_model)
    services.asset_move(actor=desk, asset=asset, state=AssetState.PREPARED)
    with pytest.raises(ValidationError) as refused:
        services.asset_move(actor=desk, asset=asset, state=AssetState.ASSIGNED)
    assert "holder" in refused.value.message_dict
    asset.refresh_from_db()
    assert asset.state == AssetState.PREPARED


def test_a_collaborator_cannot_move_an_asset(
    desk: User, laptop_model: AssetModel, collaborator: User
) -> None:
    from django.core.exceptions import PermissionDenied

    asset = make_asset(desk, laptop_model)
    with pytest.raises(PermissionDenied):
        services.asset_move(actor=collaborator, asset=asset, state=AssetState.PREPARED)
    asset.refresh_from_db()
    assert asset.state == AssetState.IN_STOCK


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3c:52:82:1a:2b:3c", "3C:52:82:1A:2B:3C"),
        ("3C-52-82-1A-2B-3C", "3C:52:82:1A:2B:3C"),
        ("3c52.821a.2b3c", "3C:52:82:1A:2B:3C"),
        ("3C52821A2B3C", "3C:52:82:1A:2B:3C"),
        ("", ""),
    ],
)
def test_mac_addresses_are_normalised(raw: str, expected: str) -> None:
    assert services.mac_normalize(raw) == expected


@pytest.mark.parametrize("raw", ["3C:52:82:1A:2B", "GG:52:82:1A:2B:3C", "3C:52-82:1A:2B:3C:11"])
def test_an_invalid_mac_address_is_refused(raw: str, desk: User, laptop_model: AssetModel) -> None:
    with pytest.raises(ValidationError) as refused:
        make_asset(desk, laptop_model, mac_address=raw)
    assert "mac_address" in refused.value.message_dict
    assert not Asset.objects.exists()


def test_tags_are_generated_and_unique(desk: User, laptop_model: AssetModel) -> None:
    first = make_asset(desk, laptop_model)
    second = make_asset(desk, laptop_model)
    assert first.tag.startswith("RLS-") and second.tag.startswith("RLS-")
    assert first.tag != second.tag
    with pytest.raises(ValidationError) as refused:
        make_asset(desk, laptop_model, tag=first.tag.lower())
    assert "tag" in refused.value.message_dict
    assert Asset.objects.count() == 2


def test_a_stale_edit_is_a_conflict(desk: User, laptop: Asset) -> None:
    data = services.AssetData(model=laptop.model, hostname="PC-COMPTA-01")
    services.asset_update(actor=desk, asset=laptop, data=data, expected_version=laptop.version)
    with pytest.raises(services.AssetConflict):
        services.asset_update(
            actor=desk,
            asset=laptop,
            data=services.AssetData(model=laptop.model, hostname="AUTRE"),
            expected_version=laptop.version,
        )
    laptop.refresh_from_db()
    assert laptop.hostname == "PC-COMPTA-01"
    assert laptop.version == 2
