"""The asset API: creation, edits with version checks, lifecycle moves with history, loans,
and attachments served only to who may see the asset."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from relais.accounts.models import User
from relais.assets.choices import AssetState
from relais.assets.models import Asset, AssetModel
from tests.assets.conftest import assign, make_asset
from tests.conftest import api_client_for, client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _json(client: Any, method: str, url: str, data: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=data, content_type="application/json")


def test_create_edit_move_and_read_the_history(desk: User, laptop_model: AssetModel) -> None:
    api = api_client_for(desk)
    created = _json(
        api,
        "post",
        "/api/v1/assets",
        {"model_id": laptop_model.pk, "serial_number": "5CG9", "mac_address": "3c-52-82-1a-2b-3c"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["tag"].startswith("RLS-")
    assert (body["mac_address"], body["state"], body["kind"]) == (
        "3C:52:82:1A:2B:3C",
        "in_stock",
        "laptop",
    )
    url = f"/api/v1/assets/{body['id']}"

    edited = _json(
        api, "patch", url, {"model_id": laptop_model.pk, "hostname": "PC-RH-2", "version": 1}
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = _json(
        api, "patch", url, {"model_id": laptop_model.pk, "hostname": "AUTRE", "version": 1}
    )
    assert stale.status_code == 409
    assert Asset.objects.get(pk=body["id"]).hostname == "PC-RH-2"

    bad_mac = _json(
        api, "patch", url, {"model_id": laptop_model.pk, "mac_address": "zz", "version": 2}
    )
    assert bad_mac.status_code == 400
    assert bad_mac.json()["code"] == "invalid"

    person = UserFactory()
    assert _json(api, "post", f"{url}/state", {"state": "prepared"}).status_code == 200
    refused = _json(api, "post", f"{url}/state", {"state": "retired"})
    assert refused.status_code == 400
    assert "Préparé" in refused.json()["detail"]
    moved = _json(
        api,
        "post",
        f"{url}/state",
        {"state": "assigned", "holder_id": person.pk, "reason": "arrivée"},
    )
    assert (moved.json()["state"], moved.json()["assigned_to_id"]) == ("assigned", person.pk)
    history = api.get(f"{url}/history").json()
    assert [(h["kind"], h["from_state"], h["to_state"], h["to_user_id"]) for h in history] == [
        ("state", "prepared", "assigned", person.pk),
        ("state", "in_stock", "prepared", None),
        ("updated", "", "", None),
        ("created", "", "in_stock", None),
    ]
    assert history[0]["reason"] == "arrivée"


def test_loans_over_the_api(desk: User, headset_model: AssetModel) -> None:
    headset = make_asset(desk, headset_model)
    borrower = UserFactory()
    api = api_client_for(desk)
    loan = _json(
        api,
        "post",
        "/api/v1/loans",
        {"asset_id": headset.pk, "borrower_id": borrower.pk, "due_on": "2099-01-31"},
    )
    assert loan.status_code == 201
    again = _json(
        api,
        "post",
        "/api/v1/loans",
        {"asset_id": headset.pk, "borrower_id": borrower.pk, "due_on": "2099-01-31"},
    )
    assert again.status_code == 400
    assert api.get("/api/v1/loans").json()["count"] == 1
    returned = _json(
        api, "post", f"/api/v1/loans/{loan.json()['id']}/return", {"condition": "good"}
    )
    assert returned.status_code == 200
    headset.refresh_from_db()
    assert (headset.state, headset.assigned_to) == (AssetState.IN_STOCK, None)
    twice = _json(api, "post", f"/api/v1/loans/{loan.json()['id']}/return", {"condition": "good"})
    assert twice.status_code == 400


def test_a_receipt_is_served_to_the_desk_and_the_holder_only(
    desk: User, laptop_model: AssetModel
) -> None:
    holder = UserFactory()
    stranger = UserFactory()
    laptop = assign(desk, make_asset(desk, laptop_model), holder)
    response = client_for(desk).post(
        reverse("assets:attach", args=[laptop.pk]),
        {"file": SimpleUploadedFile("bon-livraison.pdf", PDF, content_type="application/pdf")},
    )
    assert response.status_code == 302
    attachment = laptop.attachments.get()
    url = reverse("assets:attachment", args=[attachment.pk])
    for user, expected in ((desk, 200), (holder, 200), (stranger, 404)):
        got = client_for(user).get(url)
        assert got.status_code == expected, user
        if expected == 200:
            assert got["Content-Disposition"].startswith("attachment")
            assert got["X-Content-Type-Options"] == "nosniff"
    refused = client_for(desk).post(
        reverse("assets:attach", args=[laptop.pk]),
        {
            "file": SimpleUploadedFile(
                "x.html", b"<script>alert(1)</script>", content_type="image/png"
            )
        },
    )
    assert refused.status_code == 302
    assert laptop.attachments.count() == 1


def test_orphan_files_are_swept_and_referenced_ones_kept(
    desk: User, laptop_model: AssetModel, settings: Any
) -> None:
    import os
    import time
    from datetime import timedelta
    from pathlib import Path

    from relais.assets import services
    from relais.core import files

    laptop = make_asset(desk, laptop_model)
    services.asset_attach(
        actor=desk,
        asset=laptop,
        upload=SimpleUploadedFile("bon.pdf", PDF, content_type="application/pdf"),
    )
    kept = laptop.attachments.get().storage_name
    orphan = files.store_upload(
        SimpleUploadedFile("perdu.pdf", PDF, content_type="application/pdf"),
        folder="assets/attachments",
    ).storage_name
    old = time.time() - 2 * 86400
    for name in (kept, orphan):
        os.utime(Path(settings.MEDIA_ROOT) / name, (old, old))
    assert services.asset_files_sweep_orphans(older_than=timedelta(hours=24)) == 1
    assert (Path(settings.MEDIA_ROOT) / kept).exists()
    assert not (Path(settings.MEDIA_ROOT) / orphan).exists()
