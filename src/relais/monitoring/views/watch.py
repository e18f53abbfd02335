"""Status pages, services and checks, incidents, alerts and heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relais.monitoring import selectors, services
from relais.monitoring.forms import (
    CheckForm,
    IncidentForm,
    IncidentUpdateForm,
    LinkTicketForm,
    SubscribeForm,
)
from relais.monitoring.models import (
    Alert,
    Check,
    Service,
)
from relais.monitoring.permissions import (
    check_policy,
    incident_policy,
    is_admin,
    service_policy,
)
from relais.monitoring.views.common import form_errors, staff_only


@login_required
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    staff_only(request)
    board = selectors.status_board(public=False)
    return render(request, "monitoring/status.html", {**board, "is_admin": is_admin(request.user)})


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_request(email=form.cleaned_data["email"], language=get_language())
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            return render(request, "monitoring/subscribe.html", {"sent": True})
    return render(request, "monitoring/subscribe.html", {"form": form})


@require_http_methods(["GET", "POST"])
def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if services.subscription_confirm(token=token) is None:
            raise Http404
        return render(request, "monitoring/subscription_done.html", {"confirmed": True})
    return render(request, "monitoring/subscription_done.html", {"ask": "confirm"})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        services.subscription_unsubscribe(token=token)
        return render(request, "monitoring/subscription_done.html", {"unsubscribed": True})
    return render(request, "monitoring/subscription_done.html", {"ask": "unsubscribe"})


@login_required
@require_GET
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff_only(request)
    service = service_policy.get_for(request.user, pk, "view")
    checks = list(service.checks.all())
    charts = [(check, selectors.chart_points(selectors.latency_series(check))) for check in checks]
    first = checks[0] if checks else None
    results = (
        Paginator(selectors.check_results(first), 50).get_page(request.GET.get("page"))
        if first
        else None
    )
    return render(
        request,
        "monitoring/service.html",
        {
            "service": service,
            "charts": charts,
            "results": results,
            "incidents": service.incidents.order_by("-started_at")[:10],
            "is_admin": is_admin(request.user),
            "site_url": settings.SITE_URL,
        },
    )


def _check_form_view(request: HttpRequest, service: Service, check: Check | None) -> HttpResponse:
    initial = {}
    if check is not None:
        initial = {
            field: getattr(check, field)
            for field in (
                "name",
                "kind",
                "target",
                "interval_seconds",
                "timeout_seconds",
                "failures_before_down",
                "successes_before_up",
                "auth_kind",
                "heartbeat_cron",
                "grace_seconds",
                "is_enabled",
            )
        }
        import json

        initial["config"] = json.dumps(check.config) if check.config else ""
    form = CheckForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if check is None:
                check = services.check_create(
                    actor=request.user,  # type: ignore[arg-type]
                    service=service,
                    data=form.data_for_service(),
                    secret=form.secret(),
                    request=request,
                )
            else:
                check = services.check_update(
                    actor=request.user,  # type: ignore[arg-type]
                    check=check,
                    data=form.data_for_service(),
                    secret=form.secret(),
                    request=request,
                )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("The check is saved."))
            return redirect("monitoring:service", pk=service.pk)
    return render(
        request,
        "monitoring/check_form.html",
        {"form": form, "service": service, "check": check},
    )


@login_required
@require_http_methods(["GET", "POST"])
def check_new(request: HttpRequest, pk: int) -> HttpResponse:
    staff_only(request)
    service = service_policy.get_for(request.user, pk, "change")
    return _check_form_view(request, service, None)


@login_required
@require_http_methods(["GET", "POST"])
def check_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff_only(request)
    check = check_policy.get_for(request.user, pk, "change")
    return _check_form_view(request, check.service, check)


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    staff_only(request)
    page = Paginator(selectors.incident_list(), 25).get_page(request.GET.get("page"))
    return render(request, "monitoring/incidents.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    staff_only(request)
    incident = incident_policy.get_for(request.user, pk, "view")
    link_form = LinkTicketForm(request.POST if request.POST.get("action") == "link" else None)
    form = IncidentUpdateForm(
        request.POST if request.POST and request.POST.get("action") != "link" else None
    )
    if request.method == "POST" and request.POST.get("action") == "link":
        incident = incident_policy.get_for(request.user, pk, "update")
        if link_form.is_valid():
            from relais.tickets.permissions import tickets as ticket_policy

            ticket = (
                ticket_policy.scope(request.user)
                .filter(reference=link_form.cleaned_data["reference"].strip().upper())
                .first()
            )
            if ticket is None:
                link_form.add_error("reference", _("No ticket with this reference."))
            else:
                try:
                    services.incident_link_ticket(
                        actor=request.user,  # type: ignore[arg-type]
                        incident=incident,
                        ticket=ticket,
                    )
                except (ValidationError, PermissionDenied) as exc:
                    link_form.add_error(
                        "reference", " ".join(getattr(exc, "messages", [])) or _("Not allowed.")
                    )
                else:
                    messages.success(request, _("The ticket is linked."))
                    return redirect("monitoring:incident", pk=incident.pk)
    elif request.method == "POST":
        incident = incident_policy.get_for(request.user, pk, "update")
        if form.is_valid():
            try:
                services.incident_update_add(
                    actor=request.user,  # type: ignore[arg-type]
                    incident=incident,
                    body=form.cleaned_data["body"],
                    visibility=form.cleaned_data["visibility"],
                    status=form.cleaned_data["status"],
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("The update is posted."))
                return redirect("monitoring:incident", pk=incident.pk)
    return render(
        request,
        "monitoring/incident.html",
        {
            "incident": incident,
            "updates": incident.updates.select_related("author"),
            "alerts": incident.alerts.select_related("recipient", "acknowledged_by")[:20],
            "form": form,
            "link_form": link_form,
        },
    )


@login_required
@require_POST
def incident_affected(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone signed in: "I am affected" joins the incident's major-incident ticket."""
    from relais.monitoring.models import Incident

    incident = get_object_or_404(Incident.objects.filter(resolved_at__isnull=True), pk=pk)
    try:
        child = services.incident_join(actor=request.user, incident=incident)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("tickets:portal")
    messages.success(request, _("Noted: you will be informed as the incident progresses."))
    return redirect("tickets:detail", reference=child.reference)


@login_required
@require_http_methods(["GET", "POST"])
def alert_ack(request: HttpRequest, token: str) -> HttpResponse:
    staff_only(request)
    alert = get_object_or_404(Alert.objects.select_related("incident__service"), ack_token=token)
    if request.method == "POST":
        services.alert_acknowledge(actor=request.user, alert=alert)  # type: ignore[arg-type]
        messages.success(request, _("Alert acknowledged: reminders and escalation stop."))
        return redirect("monitoring:incident", pk=alert.incident_id)
    return render(request, "monitoring/ack.html", {"alert": alert})


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff declare an incident the probes did not see."""
    staff_only(request)
    service = service_policy.get_for(request.user, pk, "view")
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_create(
                actor=request.user,  # type: ignore[arg-type]
                service=service,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            return redirect("monitoring:incident", pk=incident.pk)
    return render(request, "monitoring/incident_form.html", {"form": form, "service": service})


@csrf_exempt
@require_http_methods(["GET", "POST", "HEAD"])
def heartbeat(request: HttpRequest, token: str) -> HttpResponse:
    """A scheduled job calls its secret URL when it has run (no session, no CSRF)."""
    if services.heartbeat_ping(token=token) is None:
        raise Http404
    return HttpResponse("OK\n", content_type="text/plain")
