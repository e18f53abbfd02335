"""Asset-park permission matrix (tests/permissions/assets.yaml): every role × object × action
through the HTML pages and the API. A refusal answers 404 when the role cannot see the object,
403 when it can (or on a collection), and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.assets import services
from relais.assets.choices import AssetState
from relais.assets.models import Asset, AssetEvent, AssetModel, Campaign, CampaignTarget, Loan
from tests.assets.conftest import assign, make_asset
from tests.conftest import api_client_for, client_for
from tests.factories import UserFactory
from tests.matrix import ROLES, load_matrix

pytestmark = pytest.mark.django_db

MATRIX = load_matrix("assets")


def _allowed(spec: Any, name: str) -> bool:
    return spec == "all" or (isinstance(spec, list) and name in spec)


@dataclass(frozen=True)
class Route:
    html: Callable[[Client, Any], Any] | None
    api: Callable[[Client, Any], Any] | None
    admin_only: bool = False


def _state(asset: Asset) -> tuple[Any, ...]:
    fresh = Asset.objects.get(pk=asset.pk)
    return (
        fresh.state,
        fresh.assigned_to_id,
        fresh.hostname,
        fresh.version,
        fresh.events.count(),
        fresh.attachments.count(),
    )


def _post_json(client: Client, url: str, data: dict[str, Any], method: str = "post") -> Any:
    return getattr(client, method)(url, data=data, content_type="application/json")


def _edit_data(a: Asset) -> dict[str, Any]:
    return {"model": a.model_id, "hostname": "PC-MATRICE", "version": a.version}


def _move_state(a: Asset) -> str:
    return AssetState.PREPARED if a.state == AssetState.IN_STOCK else AssetState.IN_REPAIR


ASSET_ROUTES: dict[str, Route] = {
    "view": Route(
        lambda c, a: c.get(reverse("assets:detail", args=[a.pk])),
        lambda c, a: c.get(f"/api/v1/assets/{a.pk}"),
    ),
    "edit": Route(
        lambda c, a: c.post(reverse("assets:edit", args=[a.pk]), _edit_data(a)),
        lambda c, a: _post_json(
            c,
            f"/api/v1/assets/{a.pk}",
            {"model_id": a.model_id, "hostname": "PC-MATRICE", "version": a.version},
            "patch",
        ),
    ),
    "move": Route(
        lambda c, a: c.post(reverse("assets:move", args=[a.pk]), {"state": _move_state(a)}),
        lambda c, a: _post_json(c, f"/api/v1/assets/{a.pk}/state", {"state": _move_state(a)}),
    ),
    "history": Route(None, lambda c, a: c.get(f"/api/v1/assets/{a.pk}/history")),
    "attach": Route(
        lambda c, a: c.post(
            reverse("assets:attach", args=[a.pk]),
            {"file": _pdf()},
        ),
        None,
    ),
    "lend": Route(
        lambda c, a: c.post(
            reverse("assets:lend", args=[a.pk]),
            {"borrower": "emprunteur@relais.test", "due_on": _due().isoformat()},
        ),
        lambda c, a: _post_json(
            c,
            "/api/v1/loans",
            {
                "asset_id": a.pk,
                "borrower_id": User.objects.get(email="emprunteur@relais.test").pk,
                "due_on": _due().isoformat(),
            },
        ),
    ),
}


def _due() -> Any:
    return timezone.localdate() + timedelta(days=7)


def _pdf() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "bon-de-livraison.pdf",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        content_type="application/pdf",
    )


COLLECTION_ROUTES: dict[str, Route] = {
    "mine": Route(
        lambda c, _: c.get(reverse("assets:mine")), lambda c, _: c.get("/api/v1/assets/mine")
    ),
    "list": Route(lambda c, _: c.get(reverse("assets:list")), lambda c, _: c.get("/api/v1/assets")),
    "create": Route(
        lambda c, m: c.post(reverse("assets:new"), {"model": m.pk, "tag": "PC-NOUVEAU"}),
        lambda c, m: _post_json(c, "/api/v1/assets", {"model_id": m.pk, "tag": "PC-NOUVEAU"}),
    ),
    "export": Route(lambda c, _: c.get(reverse("assets:export") + "?format=csv"), None),
    "labels": Route(lambda c, _: c.get(reverse("assets:labels")), None),
    "import": Route(lambda c, _: c.get(reverse("assets:import")), None, admin_only=True),
    "loans": Route(
        lambda c, _: c.get(reverse("assets:loans")), lambda c, _: c.get("/api/v1/loans")
    ),
    "readiness": Route(lambda c, _: c.get(reverse("assets:readiness")), None),
    "campaigns": Route(
        lambda c, _: c.get(reverse("assets:campaigns")), lambda c, _: c.get("/api/v1/campaigns")
    ),
    "new_campaign": Route(lambda c, _: c.get(reverse("assets:campaign_new")), None),
}


@pytest.fixture
def world(
    users_by_role: dict[str, User], desk: User, laptop_model: AssetModel, headset_model: AssetModel
) -> dict[str, Any]:
    someone = UserFactory(display_name="Quelqu'un d'autre")
    UserFactory(email="emprunteur@relais.test")
    return {"someone": someone, "keeper": desk, "laptop": laptop_model, "headset": headset_model}


def _asset_for(world: dict[str, Any], actor: User, name: str) -> Asset:
    keeper = world["keeper"]
    if name == "stock":
        return make_asset(keeper, world["headset"])
    asset = make_asset(keeper, world["laptop"])
    return assign(keeper, asset, actor if name == "own" else world["someone"])


def _run_cell(user: User, channel: str, call: Callable[[], Any]) -> int:
    sid = transaction.savepoint()
    try:
        return call().status_code
    finally:
        transaction.savepoint_rollback(sid)


def test_asset_matrix(world: dict[str, Any], users_by_role: dict[str, User]) -> None:
    failures: list[str] = []
    cells = 0
    for action, by_role in MATRIX["asset"].items():
        route = ASSET_ROUTES[action]
        for role in ROLES:
            user = users_by_role[role]
            for name in ("stock",) if action == "lend" else ("own", "other", "stock"):
                expected_ok = _allowed(by_role.get(role), name)
                visible = _allowed(MATRIX["asset"]["view"].get(role), name)
                for channel, send in (("html", route.html), ("api", route.api)):
                    if send is None:
                        continue
                    cells += 1
                    sid = transaction.savepoint()
                    try:
                        asset = _asset_for(world, user, name)
                        before = _state(asset)
                        client = client_for(user) if channel == "html" else api_client_for(user)
                        status = send(client, asset).status_code
                        after = _state(asset)
                    finally:
                        transaction.savepoint_rollback(sid)
                    if expected_ok:
                        ok = status < 400 and (action in ("view", "history") or after != before)
                    else:
                        ok = status == (403 if visible else 404) and after == before
                    if not ok:
                        failures.append(f"{role} {action} asset:{name} via {channel}: {status}")
    assert not failures, "\n".join(failures)
    assert cells == 4 * 3 * 8 + 4 * 1 * 2


def test_collection_matrix(world: dict[str, Any], users_by_role: dict[str, User]) -> None:
    failures: list[str] = []
    for action, by_role in MATRIX["asset_collection"].items():
        route = COLLECTION_ROUTES[action]
        for role in ROLES:
            user = users_by_role[role]
            expected_ok = by_role.get(role) == "all"
            for channel, send in (("html", route.html), ("api", route.api)):
                if send is None:
                    continue
                sid = transaction.savepoint()
                try:
                    count = Asset.objects.count()
                    client = client_for(user) if channel == "html" else api_client_for(user)
                    status = send(client, world["laptop"]).status_code
                    created = Asset.objects.count() - count
                finally:
                    transaction.savepoint_rollback(sid)
                if expected_ok:
                    ok = status < 400
                else:
                    denied = 403
                    if route.admin_only and role == Role.COLLABORATOR:
                        denied = 404
                    ok = status == denied and created == 0
                if not ok:
                    failures.append(f"{role} {action} via {channel}: {status}")
    assert not failures, "\n".join(failures)


def test_loan_return_matrix(world: dict[str, Any], users_by_role: dict[str, User]) -> None:
    failures: list[str] = []
    keeper = world["keeper"]
    for role in ROLES:
        user = users_by_role[role]
        for name in ("own", "other"):
            expected_ok = _allowed(MATRIX["loan"]["return"].get(role), name)
            for channel in ("html", "api"):
                sid = transaction.savepoint()
                try:
                    asset = make_asset(keeper, world["headset"])
                    borrower = user if name == "own" else world["someone"]
                    loan = services.loan_create(
                        actor=keeper, asset=asset, borrower=borrower, due_on=_due()
                    )
                    if channel == "html":
                        status = (
                            client_for(user)
                            .post(
                                reverse("assets:loan_return", args=[loan.pk]), {"condition": "good"}
                            )
                            .status_code
                        )
                    else:
                        status = _post_json(
                            api_client_for(user),
                            f"/api/v1/loans/{loan.pk}/return",
                            {"condition": "good"},
                        ).status_code
                    returned = Loan.objects.get(pk=loan.pk).returned_at is not None
                finally:
                    transaction.savepoint_rollback(sid)
                # A borrower sees their own loan (403 when refused); others' loans are 404.
                denied = 403 if name == "own" else 404
                ok = (
                    (status < 400 and returned)
                    if expected_ok
                    else (status == denied and not returned)
                )
                if not ok:
                    failures.append(f"{role} return loan:{name} via {channel}: {status}")
    assert not failures, "\n".join(failures)


def test_campaign_matrix(world: dict[str, Any], users_by_role: dict[str, User]) -> None:
    manager = UserFactory(role=Role.SUPERVISOR)
    target_person = UserFactory()
    failures: list[str] = []
    for action, by_role in MATRIX["campaign"].items():
        for role in ROLES:
            user = users_by_role[role]
            expected_ok = by_role.get(role) == "all"
            visible = MATRIX["campaign"]["view"].get(role) == "all"
            for channel in ("html", "api"):
                sid = transaction.savepoint()
                try:
                    campaign = services.campaign_create(
                        actor=manager, name="Portables télétravail", people=[target_person]
                    )
                    target = CampaignTarget.objects.get(campaign=campaign)
                    client = client_for(user) if channel == "html" else api_client_for(user)
                    if action == "view":
                        url = (
                            reverse("assets:campaign", args=[campaign.pk])
                            if channel == "html"
                            else f"/api/v1/campaigns/{campaign.pk}"
                        )
                        status = client.get(url).status_code
                        changed = False
                    elif action == "deliver":
                        if channel == "html":
                            status = client.post(
                                reverse("assets:campaign_target", args=[target.pk]),
                                {"state": "refused"},
                            ).status_code
                        else:
                            status = _post_json(
                                client,
                                f"/api/v1/campaigns/targets/{target.pk}",
                                {"state": "refused"},
                                "patch",
                            ).status_code
                        changed = CampaignTarget.objects.get(pk=target.pk).state == "refused"
                    else:
                        if channel == "api":
                            continue
                        status = client.post(
                            reverse("assets:campaign_close", args=[campaign.pk])
                        ).status_code
                        changed = Campaign.objects.get(pk=campaign.pk).state == "closed"
                finally:
                    transaction.savepoint_rollback(sid)
                if expected_ok:
                    ok = status < 400 and (changed or action == "view")
                else:
                    ok = status == (403 if visible else 404) and not changed
                if not ok:
                    failures.append(f"{role} {action} campaign via {channel}: {status}")
    assert not failures, "\n".join(failures)


def test_a_collaborator_lists_only_their_own_equipment(
    world: dict[str, Any], collaborator: User, django_assert_max_num_queries: Any
) -> None:
    own = _asset_for(world, collaborator, "own")
    other = _asset_for(world, collaborator, "other")
    client = client_for(collaborator)
    client.get(reverse("assets:mine"))  # warm the session and the caches
    # session, user, assets, loans
    with django_assert_max_num_queries(5):
        page = client.get(reverse("assets:mine"))
    assert own.tag in page.content.decode()
    assert other.tag not in page.content.decode()
    api = api_client_for(collaborator).get("/api/v1/assets/mine").json()
    assert [a["tag"] for a in api] == [own.tag]
    # Every other asset id answers 404, exactly like a missing one.
    for pk in (other.pk, other.pk + 1000):
        assert client_for(collaborator).get(reverse("assets:detail", args=[pk])).status_code == 404
        assert api_client_for(collaborator).get(f"/api/v1/assets/{pk}").status_code == 404
    assert AssetEvent.objects.filter(asset=own).exists()
