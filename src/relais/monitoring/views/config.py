"""What administrators set up (and the rota the team sees)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from relais.monitoring import services
from relais.monitoring.forms import (
    AllowEntryForm,
    ChannelEditForm,
    ChannelForm,
    MaintenanceForm,
    OverrideForm,
    RemoteProberForm,
    RotaForm,
    ServiceForm,
)
from relais.monitoring.models import (
    AlertChannel,
    AllowListEntry,
    Maintenance,
    OnCallOverride,
    OnCallRota,
    RemoteProber,
    Service,
)
from relais.monitoring.permissions import (
    channel_policy,
    is_admin,
    maintenance_policy,
    rota_policy,
    service_policy,
)
from relais.monitoring.views.common import admin_only, form_errors, staff_only


@login_required
@require_http_methods(["GET", "POST"])
def rota(request: HttpRequest) -> HttpResponse:
    """The team sees who is on duty; administrators add replacements (absences, holidays)."""
    staff_only(request)
    form = OverrideForm(request.POST or None) if is_admin(request.user) else None
    if request.method == "POST" and request.POST.get("action") == "remove_override":
        admin_only(request)
        override = get_object_or_404(OnCallOverride, pk=request.POST.get("override"))
        services.rota_override_remove(actor=request.user, override=override, request=request)  # type: ignore[arg-type]
        messages.success(request, _("The replacement is removed."))
        return redirect("monitoring:rota")
    if request.method == "POST":
        admin_only(request)
        if form is not None and form.is_valid():
            try:
                services.rota_override_add(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("The replacement is recorded."))
                return redirect("monitoring:rota")
    now = timezone.now()
    rotas = [
        (r, services.on_call(r, now), services.rota_schedule(r, now))
        for r in OnCallRota.objects.prefetch_related("overrides__user")
    ]
    return render(
        request,
        "monitoring/rota.html",
        {"rotas": rotas, "form": form, "is_admin": is_admin(request.user)},
    )


def _service_data(form: ServiceForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    group = data.pop("group")
    data["group"] = services.group_get_or_create(actor=form.actor, name=group) if group else None
    return data


@login_required
@require_http_methods(["GET", "POST"])
def configuration(request: HttpRequest) -> HttpResponse:
    """Administrators: services, the allow-list of targets, maintenance windows, alert
    channels and remote probers."""
    admin_only(request)
    action = request.POST.get("action", "")
    user: Any = request.user

    def bound(name: str, form_class: Any) -> Any:
        return form_class(request.POST if action == name else None, prefix=name)

    forms_by_action = {
        "allow": bound("allow", AllowEntryForm),
        "maintenance": bound("maintenance", MaintenanceForm),
        "service": bound("service", ServiceForm),
        "channel": bound("channel", ChannelForm),
        "prober": bound("prober", RemoteProberForm),
    }
    forms_by_action["service"].actor = user
    context: dict[str, Any] = {}
    if request.method == "POST":
        form = forms_by_action.get(action)
        try:
            if action == "disallow":
                entry = get_object_or_404(AllowListEntry, pk=request.POST.get("entry"))
                services.allow_entry_remove(actor=user, entry=entry, request=request)
                messages.success(request, _("The allow-list is updated."))
                return redirect("monitoring:configuration")
            if form is not None and form.is_valid():
                data = form.cleaned_data
                if action == "allow":
                    services.allow_entry_add(actor=user, request=request, **data)
                    messages.success(request, _("The allow-list is updated."))
                elif action == "maintenance":
                    services.maintenance_create(
                        actor=user,
                        title=data["title"],
                        services=list(data["services"]),
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                        description=data["description"],
                        request=request,
                    )
                    messages.success(request, _("The maintenance window is announced."))
                elif action == "service":
                    service = services.service_create(
                        actor=user, data=_service_data(form), request=request
                    )
                    messages.success(request, _("The service is created."))
                    return redirect("monitoring:service", pk=service.pk)
                elif action == "channel":
                    services.channel_create(actor=user, request=request, **data)
                    messages.success(request, _("The alert channel is added."))
                elif action == "prober":
                    prober, token = services.remote_prober_create(
                        actor=user, location=data["location"]
                    )
                    # Shown once, in this response only: it is stored hashed.
                    context["new_prober"] = (prober, token)
                if "new_prober" not in context:
                    return redirect("monitoring:configuration")
        except ValidationError as exc:
            if form is not None:
                form_errors(form, exc)
    return render(
        request,
        "monitoring/configuration.html",
        {
            **context,
            **{f"{name}_form": form for name, form in forms_by_action.items()},
            "entries": AllowListEntry.objects.all()[:500],
            "services": Service.objects.order_by("name")[:500],
            "channels": AlertChannel.objects.all()[:100],
            "maintenances": Maintenance.objects.filter(ends_at__gt=timezone.now()).order_by(
                "starts_at"
            )[:50],
            "probers": RemoteProber.objects.all()[:100],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff_only(request)
    service = service_policy.get_for(request.user, pk, "change")
    initial = {
        "name": service.name,
        "group": service.group.name if service.group else "",
        "description": service.description,
        "is_public": service.is_public,
        "locations_required": service.locations_required,
        "rota": service.rota_id,
        "ticket_category": service.ticket_category_id,
        "escalation_minutes": service.escalation_minutes,
        "reminder_minutes": service.reminder_minutes,
    }
    if request.method == "POST" and request.POST.get("action") == "delete":
        try:
            services.service_delete(actor=request.user, service=service, request=request)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("monitoring:service_edit", pk=service.pk)
        messages.success(request, _("The service is deleted."))
        return redirect("monitoring:configuration")
    form = ServiceForm(request.POST or None, initial=initial)
    form.actor = request.user
    if request.method == "POST" and form.is_valid():
        try:
            services.service_update(
                actor=request.user,  # type: ignore[arg-type]
                service=service,
                data=_service_data(form),
                request=request,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("The service is saved."))
            return redirect("monitoring:service", pk=service.pk)
    return render(request, "monitoring/service_form.html", {"form": form, "service": service})


def _local_input(moment: datetime) -> str:
    """A time as a datetime-local field shows it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _edit_page(
    request: HttpRequest,
    *,
    form: Any,
    save: Callable[[dict[str, Any]], object],
    delete: Callable[[], object] | None,
    heading: str,
    back_url: str,
    delete_warning: str = "",
) -> HttpResponse:
    """An administrator's edit page: the form saves through `save`; a POST with
    action=delete goes through `delete` (a refusal is shown, nothing changes)."""
    if request.method == "POST" and request.POST.get("action") == "delete" and delete:
        try:
            delete()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)
        messages.success(request, _("Deleted."))
        return redirect(back_url)
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(back_url)
    return render(
        request,
        "monitoring/object_form.html",
        {
            "form": form,
            "heading": heading,
            "back_url": back_url,
            "can_delete": delete is not None,
            "delete_warning": delete_warning,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rota_new(request: HttpRequest) -> HttpResponse:
    admin_only(request)
    user: Any = request.user
    return _edit_page(
        request,
        form=RotaForm(request.POST or None),
        save=lambda data: services.rota_create(actor=user, request=request, **data),
        delete=None,
        heading=_("New on-call rota"),
        back_url=reverse("monitoring:rota"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def rota_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff_only(request)
    user: Any = request.user
    rota: Any = rota_policy.get_for(user, pk, "change")
    initial = {
        "name": rota.name,
        "starts_at": _local_input(rota.starts_at),
        "members": "\n".join(m.user.email for m in rota.members.select_related("user")),
        "fallback_email": rota.fallback_email,
    }
    return _edit_page(
        request,
        form=RotaForm(request.POST or None, initial=initial),
        save=lambda data: services.rota_update(actor=user, rota=rota, request=request, **data),
        delete=lambda: services.rota_delete(actor=user, rota=rota, request=request),
        heading=_("On-call rota") + " — " + rota.name,
        back_url=reverse("monitoring:rota"),
        delete_warning=_("The services it alerts will only alert their channels."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def maintenance_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff_only(request)
    user: Any = request.user
    maintenance: Any = maintenance_policy.get_for(user, pk, "change")
    initial = {
        "title": maintenance.title,
        "services": list(maintenance.services.values_list("pk", flat=True)),
        "starts_at": _local_input(maintenance.starts_at),
        "ends_at": _local_input(maintenance.ends_at),
        "description": maintenance.description,
    }

    def save(data: dict[str, Any]) -> object:
        return services.maintenance_update(
            actor=user,
            maintenance=maintenance,
            request=request,
            **{**data, "services": list(data["services"])},
        )

    return _edit_page(
        request,
        form=MaintenanceForm(request.POST or None, initial=initial),
        save=save,
        delete=lambda: services.maintenance_delete(
            actor=user, maintenance=maintenance, request=request
        ),
        heading=_("Maintenance window") + " — " + maintenance.title,
        back_url=reverse("monitoring:configuration"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin_only(request)
    user: Any = request.user
    channel: Any = channel_policy.get_for(user, pk, "change")
    initial = {"name": channel.name, "target": channel.target, "is_enabled": channel.is_enabled}
    return _edit_page(
        request,
        form=ChannelEditForm(request.POST or None, initial=initial),
        save=lambda data: services.channel_update(
            actor=user, channel=channel, request=request, **data
        ),
        delete=lambda: services.channel_delete(actor=user, channel=channel, request=request),
        heading=_("Alert channel") + " — " + channel.name,
        back_url=reverse("monitoring:configuration"),
    )
