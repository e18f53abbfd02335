"""The demo park: assets for most staff, a campaign in progress, loans (some overdue)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from relais.accounts.models import User
from relais.assets import selectors
from relais.assets.choices import AssetKind, AssetState
from relais.assets.models import Asset, Campaign, Loan
from relais.core import demo

pytestmark = pytest.mark.django_db


def test_the_demo_park() -> None:
    demo.seed(scale=0.05)
    collaborator = User.objects.get(email="collaborateur@relais.test")
    kinds = {a.asset_type.kind for a in selectors.my_assets(collaborator)}
    assert {AssetKind.LAPTOP, AssetKind.SECURITY_KEY} <= kinds
    assert Asset.objects.count() >= 150
    assert Asset.objects.filter(state=AssetState.IN_STOCK).exists()
    campaign = Campaign.objects.get()
    progress = selectors.campaign_progress(campaign)
    assert 0 < progress.percent < 100
    assert Loan.objects.filter(returned_at__isnull=True, due_on__lt=timezone.localdate()).exists()
    # Every loan's asset is on loan with the borrower.
    for loan in Loan.objects.select_related("asset"):
        assert (loan.asset.state, loan.asset.assigned_to_id) == (
            AssetState.ON_LOAN,
            loan.borrower_id,
        )
    readiness = selectors.readiness()
    assert 0 < readiness.overall.ready < readiness.overall.total
