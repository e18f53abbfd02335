"""The asset park's pages: thin, they parse, call one service or selector, and render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relais.accounts.models import User
from relais.accounts.selectors import current_user
from relais.assets import permissions, selectors, services
from relais.assets.choices import TRANSITIONS, AssetState, ImportState, TargetState
from relais.assets.filters import AssetFilterForm
from relais.assets.forms import (
    AssetForm,
    AttachmentForm,
    CampaignForm,
    ImportForm,
    LendForm,
    MoveForm,
    RemoteAccessForm,
    ReturnForm,
    TargetForm,
)
from relais.assets.models import AssetAttachment, CampaignTarget, Loan
from relais.core.exports import export_response
from relais.core.files import file_response
from relais.core.permissions import deny

LABELS_MAX = 120
EXPORT_FORMATS = ("csv", "xlsx")


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.message_dict.items():
            target = field_name if field_name in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


def _post_form(
    request: HttpRequest,
    form: Any,
    run: Callable[[dict[str, Any]], object],
    *,
    success: str,
    invalid: str = "",
) -> None:
    """A small POST form whose outcome is a message on the page it came from: run the
    service with the cleaned data, report its refusal, or the form's errors."""
    if not form.is_valid():
        if invalid:
            messages.error(request, invalid)
            return
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, str(error))
        return
    try:
        run(form.cleaned_data)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)


def _desk_only(user: User, action: str = "list") -> None:
    """Desk pages answer 403 to anyone else, like the API; the admin-only import page is
    hidden (404) from people outside the desk."""
    if not permissions.assets.can(user, action):
        if action == "import":
            deny(user)
        raise PermissionDenied


# --- Mon équipement -----------------------------------------------------------------------------


@login_required
@require_GET
def my_equipment(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return render(
        request,
        "assets/mine.html",
        {"assets": selectors.my_assets(user), "loans": selectors.my_loans(user)},
    )


# --- The park -----------------------------------------------------------------------------------


@login_required
@require_GET
def asset_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _desk_only(user)
    filters = AssetFilterForm(request.GET)
    page = Paginator(selectors.asset_list(user, filters), 50).get_page(request.GET.get("page"))
    query = urlencode(filters.query())
    return render(
        request,
        "assets/list.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "can_create": permissions.assets.can(user, "create"),
            "can_import": permissions.assets.can(user, "import"),
        },
    )


def _export_response(rows: Any, *, fmt: str, name: str) -> HttpResponseBase:
    stamp = timezone.localdate().isoformat()
    return export_response(rows, fmt=fmt, filename=f"{name}-{stamp}", title=name)


@login_required
@require_GET
def asset_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    _desk_only(user, "export")
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    filters = AssetFilterForm(request.GET)
    assets = selectors.asset_export_list(user, filters).iterator(chunk_size=2000)
    return _export_response(services.export_rows(assets), fmt=fmt, name="parc")


@login_required
@require_GET
def asset_labels(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _desk_only(user, "labels")
    filters = AssetFilterForm(request.GET)
    assets = list(selectors.asset_list(user, filters)[:LABELS_MAX])
    labels = [
        {
            "asset": asset,
            "qr": segno.make(settings.SITE_URL + asset.get_absolute_url(), error="m").svg_data_uri(
                scale=3, border=2
            ),
        }
        for asset in assets
    ]
    return render(request, "assets/labels.html", {"labels": labels, "max": LABELS_MAX})


def _asset_data(form: AssetForm, *, tag: str = "") -> services.AssetData:
    d = form.cleaned_data
    return services.AssetData(
        model=d["model"],
        tag=tag,
        serial_number=d.get("serial_number") or "",
        hostname=d.get("hostname") or "",
        mac_address=d.get("mac_address") or "",
        site=d.get("site"),
        stock_room=d.get("stock_room") or "",
        supplier=d.get("supplier"),
        purchase_date=d.get("purchase_date"),
        warranty_end=d.get("warranty_end"),
        cost=d.get("cost"),
        notes=d.get("notes") or "",
    )


@login_required
@require_http_methods(["GET", "POST"])
def asset_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _desk_only(user, "create")
    form = AssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.asset_create(
                actor=user,
                data=_asset_data(form, tag=form.cleaned_data.get("tag") or ""),
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Asset %(tag)s created.") % {"tag": asset.tag})
            return redirect(asset)
    return render(request, "assets/form.html", {"form": form, "asset": None})


@login_required
@require_GET
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    asset = get_object_or_404(
        permissions.assets.scope(user, "view").select_related(
            "model", "asset_type", "assigned_to", "site", "supplier"
        ),
        pk=pk,
    )
    desk = permissions.is_desk(user)
    context: dict[str, Any] = {
        "asset": asset,
        "desk": desk,
        "attachments": list(asset.attachments.all()),
    }
    if desk:
        context.update(
            history=selectors.asset_history(asset),
            tickets=selectors.asset_tickets(user, asset),
            moves=[
                (s, AssetState(s).label)
                for s in sorted(TRANSITIONS[asset.state])
                if s != AssetState.ON_LOAN
            ],
            move_form=MoveForm(),
            open_loan=Loan.objects.filter(asset=asset, returned_at__isnull=True)
            .select_related("borrower")
            .first(),
            lend_form=LendForm()
            if asset.asset_type.lendable and AssetState.ON_LOAN in TRANSITIONS[asset.state]
            else None,
            return_form=ReturnForm(),
            attachment_form=AttachmentForm(),
        )
    return render(request, "assets/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    asset = permissions.assets.get_for(user, pk, "edit")
    initial = {name: getattr(asset, name) for name in services.EDITABLE_FIELDS}
    initial["version"] = asset.version
    form = AssetForm(request.POST or None, initial=initial, asset=asset)
    if request.method == "POST" and form.is_valid():
        try:
            services.asset_update(
                actor=user,
                asset=asset,
                data=_asset_data(form),
                expected_version=form.cleaned_data.get("version"),
                request=request,
            )
        except services.AssetConflict:
            form.add_error(
                None,
                _(
                    "Someone else changed this asset while you were editing it: reload the "
                    "page and try again."
                ),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Asset saved."))
            return redirect(asset)
    return render(request, "assets/form.html", {"form": form, "asset": asset})


@login_required
@require_POST
def asset_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    asset = permissions.assets.get_for(user, pk, "move")
    _post_form(
        request,
        MoveForm(request.POST),
        lambda data: services.asset_move(
            actor=user,
            asset=asset,
            state=data["state"],
            holder=data.get("holder"),
            reason=data.get("reason") or "",
            request=request,
        ),
        success=_("State changed."),
    )
    return redirect(asset)


@login_required
@require_POST
def asset_lend(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    asset = permissions.assets.get_for(user, pk, "lend")
    _post_form(
        request,
        LendForm(request.POST),
        lambda data: services.loan_create(
            actor=user,
            asset=asset,
            borrower=data["borrower"],
            due_on=data["due_on"],
            reason=data.get("reason") or "",
            request=request,
        ),
        success=_("Loan recorded."),
    )
    return redirect(asset)


@login_required
@require_POST
def asset_attach(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    asset = permissions.assets.get_for(user, pk, "attach")
    _post_form(
        request,
        AttachmentForm(request.POST, request.FILES),
        lambda data: services.asset_attach(actor=user, asset=asset, upload=data["file"]),
        success=_("File added."),
        invalid=_("Choose a file."),
    )
    return redirect(asset)


@login_required
@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    user = current_user(request)
    visible = permissions.assets.scope(user, "download")
    attachment = get_object_or_404(
        AssetAttachment.objects.filter(asset__in=visible), pk=attachment_id
    )
    return file_response(
        (attachment.storage_name, attachment.original_name, attachment.content_type)
    )


# --- Loans --------------------------------------------------------------------------------------


@login_required
@require_GET
def loan_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _desk_only(user)
    overdue = request.GET.get("retard") == "1"
    qs = selectors.overdue_loans(user) if overdue else selectors.open_loans(user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "assets/loans.html",
        {
            "page": page,
            "overdue": overdue,
            "today": timezone.localdate(),
            "query": "retard=1" if overdue else "",
        },
    )


@login_required
@require_POST
def loan_return(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    loan = permissions.loans.get_or_404(user, pk)
    if not permissions.assets.can(user, "lend", loan.asset):
        raise PermissionDenied
    _post_form(
        request,
        ReturnForm(request.POST),
        lambda data: services.loan_return(
            actor=user,
            loan=loan,
            condition=data["condition"],
            notes=data.get("notes") or "",
            request=request,
        ),
        success=_("Asset checked in."),
    )
    return redirect(loan.asset)


# --- Import -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _desk_only(user, "import")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                actor=user, upload=form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("assets:import_status", pk=job.pk)
    return render(
        request,
        "assets/import.html",
        {"form": form, "columns": services.transfer.COLUMN_LABELS.values()},
    )


@login_required
@require_GET
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    _desk_only(user, "import")
    job = permissions.imports.get_or_404(user, pk)
    finished = job.state in (ImportState.DONE, ImportState.FAILED)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "state": job.state,
                "percent": job.percent,
                "processed": job.processed_rows,
                "total": job.total_rows,
                "finished": finished,
            }
        )
    return render(request, "assets/import_status.html", {"job": job, "finished": finished})


# --- Campaigns ----------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not permissions.campaigns.can(user, "list"):
        raise PermissionDenied
    campaigns = list(permissions.campaigns.scope(user, "view")[:100])
    progress = [(c, selectors.campaign_progress(c)) for c in campaigns]
    return render(
        request,
        "assets/campaigns.html",
        {"progress": progress, "can_create": permissions.campaigns.can(user, "create")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not permissions.campaigns.can(user, "create"):
        raise PermissionDenied
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = services.campaign_create(
                actor=user,
                name=d["name"],
                description=d.get("description") or "",
                models=list(d.get("asset_models") or []),
                org_units=list(d.get("org_units") or []),
                sites=list(d.get("sites") or []),
                people=d.get("people") or [],
                due_on=d.get("due_on"),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect(campaign)
    return render(request, "assets/campaign_form.html", {"form": form})


CHART_BAR = 22


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    campaign = permissions.campaigns.get_or_404(user, pk)
    progress = selectors.campaign_progress(campaign)
    state = request.GET.get("etat", "")
    if state not in TargetState.values:
        state = ""
    page = Paginator(selectors.campaign_targets(campaign, state=state or None), 50).get_page(
        request.GET.get("page")
    )
    chart = []
    for i, row in enumerate(progress.by_direction):
        width = 300
        total = row["total"] or 1
        delivered_w = round(width * row["delivered"] / total)
        chart.append({**row, "y": i * (CHART_BAR + 8), "delivered_w": delivered_w, "width": width})
    return render(
        request,
        "assets/campaign.html",
        {
            "campaign": campaign,
            "progress": progress,
            "chart": chart,
            "chart_height": len(chart) * (CHART_BAR + 8) + 4,
            "bar": CHART_BAR,
            "page": page,
            "state": state,
            "states": TargetState.choices,
            "state_counts": [
                (label, progress.by_state[value]) for value, label in TargetState.choices
            ],
            "query": urlencode({"etat": state}) if state else "",
            "can_close": permissions.campaigns.can(user, "edit", campaign),
            "target_form": TargetForm(),
        },
    )


@login_required
@require_GET
def campaign_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = current_user(request)
    campaign = permissions.campaigns.get_or_404(user, pk, "export")
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    targets = selectors.campaign_targets(campaign).filter(
        state__in=[TargetState.TO_PREPARE, TargetState.READY]
    )

    def rows() -> Any:
        yield [_("Name"), _("E-mail"), _("Direction"), _("Site"), _("State")]
        for t in targets.iterator(chunk_size=1000):
            yield [
                t.person.display_name,
                t.person.email,
                t.direction.name if t.direction else "",
                t.person.site.name if t.person.site else "",
                str(TargetState(t.state).label),
            ]

    return _export_response(rows(), fmt=fmt, name="campagne-en-attente")


@login_required
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    campaign = permissions.campaigns.get_or_404(user, pk)
    if not permissions.campaigns.can(user, "edit", campaign):
        raise PermissionDenied
    services.campaign_close(actor=user, campaign=campaign)
    messages.success(request, _("Campaign closed."))
    return redirect(campaign)


@login_required
@require_POST
def campaign_target(request: HttpRequest, target_id: int) -> HttpResponse:
    user = current_user(request)
    target = get_object_or_404(
        CampaignTarget.objects.select_related("campaign").filter(
            campaign__in=permissions.campaigns.scope(user, "deliver")
        ),
        pk=target_id,
    )
    _post_form(
        request,
        TargetForm(request.POST),
        lambda data: services.campaign_target_set(
            actor=user,
            target=target,
            state=data["state"],
            asset=data.get("asset_tag"),
            request=request,
        ),
        success=_("Saved."),
    )
    return redirect(target.campaign)


# --- Telework readiness -------------------------------------------------------------------------


def _readiness_filters(request: HttpRequest) -> tuple[int | None, int | None]:
    def number(key: str) -> int | None:
        try:
            return int(request.GET.get(key, "")) or None
        except ValueError:
            return None

    return number("direction"), number("site")


@login_required
@require_GET
def readiness(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not permissions.readiness_allowed(user):
        raise PermissionDenied
    direction_id, site_id = _readiness_filters(request)
    data = selectors.readiness(direction_id=direction_id, site_id=site_id)
    page = Paginator(data.not_ready, 50).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("direction", direction_id), ("site", site_id)) if v})
    return render(
        request,
        "assets/readiness.html",
        {
            "data": data,
            "page": page,
            "query": query,
            "direction_id": direction_id,
            "site_id": site_id,
        },
    )


@login_required
@require_GET
def readiness_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    if not permissions.readiness_allowed(user):
        raise PermissionDenied
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    direction_id, site_id = _readiness_filters(request)
    data = selectors.readiness(direction_id=direction_id, site_id=site_id)
    yes, no = _("yes"), _("no")

    def rows() -> Any:
        yield [
            _("Name"),
            _("E-mail"),
            _("Direction"),
            _("Site"),
            _("Laptop"),
            _("Remote access"),
            _("Blocking ticket"),
        ]
        for p in data.not_ready:
            yield [
                p["display_name"],
                p["email"],
                p["direction"],
                p["site"],
                yes if p["has_laptop"] else no,
                yes if p["remote"] else no,
                yes if p["blocked"] else no,
            ]

    return _export_response(rows(), fmt=fmt, name="teletravail-non-prets")


@login_required
@require_POST
def remote_access(request: HttpRequest, person_id: int) -> HttpResponse:
    user = current_user(request)
    if not permissions.readiness_allowed(user):
        raise PermissionDenied
    person = get_object_or_404(User, pk=person_id, is_active=True)
    form = RemoteAccessForm(request.POST)
    form.is_valid()
    services.remote_access_set(
        actor=user, person=person, enabled=bool(form.cleaned_data.get("enabled")), request=request
    )
    messages.success(
        request, _("Remote access updated for %(name)s.") % {"name": person.display_name}
    )
    return redirect(reverse("assets:readiness"))
