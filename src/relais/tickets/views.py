from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relais.accounts.models import User
from relais.accounts.selectors import current_user
from relais.assets import services as assets_services
from relais.core.files import file_response
from relais.core.widgets import FastSelect
from relais.mail import selectors as mail_selectors
from relais.tickets import permissions, selectors, services
from relais.tickets.choices import Channel, LinkKind, NotificationEvent, TicketStatus
from relais.tickets.config import desk_config
from relais.tickets.filters import Queue, TicketFilterForm
from relais.tickets.forms import (
    RatingForm,
    ReopenForm,
    ReplyForm,
    TicketEditForm,
    TicketOpenForm,
)
from relais.tickets.models import (
    Attachment,
    Category,
    NotificationPreference,
)

PAGE_SIZE = 25


_user = current_user


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.message_dict.items():
            target = field_name if field_name in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


# --- Portal -----------------------------------------------------------------------------------


@login_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("etat", "ouvertes")
    open_only = {"ouvertes": True, "terminees": False}.get(state)
    qs = selectors.portal_tickets(viewer=request.user, open_only=open_only)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "tickets/portal.html",
        {
            "page": page,
            "state": state,
            "majors": selectors.open_major_incidents(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    category_id = request.GET.get("categorie") or request.POST.get("category")
    if not category_id:
        categories = selectors.category_tree()
        roots = [c for c in categories if c.parent_id is None]
        children: dict[int, list[Category]] = {}
        for category in categories:
            if category.parent_id:
                children.setdefault(category.parent_id, []).append(category)
        return render(
            request,
            "tickets/new_choose.html",
            {
                "roots": [(root, children.get(root.pk, [])) for root in roots],
                "majors": selectors.open_major_incidents(),
            },
        )
    try:
        category = Category.objects.select_related("parent").get(
            pk=int(category_id), is_active=True
        )
    except (Category.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    desk = permissions.is_desk(user)
    form = TicketOpenForm(request.POST or None, request.FILES or None, category=category, desk=desk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        requester: User | None = user
        if desk and data.get("requester_email"):
            requester = User.objects.with_email(data["requester_email"]).first()
            if requester is None:
                form.add_error("requester_email", _("Nobody has this e-mail address."))
        if not form.errors:
            try:
                ticket = services.ticket_open(
                    actor=user,
                    requester=requester,
                    channel=Channel.PORTAL,
                    draft=services.TicketDraft(
                        category=category,
                        title=data["title"],
                        description=data["description"],
                        impact=data["impact"],
                        urgency=data["urgency"],
                        type=data.get("type"),
                        extra=form.extra_values(),
                        contact_name=data["contact_name"],
                        contact_phone=data["contact_phone"],
                        attachments=data["attachments"],
                    ),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                # Parc hook: the equipment the requester chose in the form.
                assets_services.ticket_opened(
                    actor=user, ticket=ticket, asset_id=request.POST.get("asset")
                )
                messages.success(
                    request,
                    _("Your request %(ref)s has been recorded.") % {"ref": ticket.reference},
                )
                return redirect("tickets:detail", reference=ticket.reference)
    return render(
        request,
        "tickets/new_form.html",
        {"form": form, "category": category},
        status=400 if form.errors else 200,
    )


# --- Ticket page ------------------------------------------------------------------------------


@login_required
@require_GET
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_detail(viewer=user, reference=reference)
    return render(request, "tickets/detail.html", _detail_context(user, ticket))


def _detail_context(user: User, ticket: Any, **extra: Any) -> dict[str, Any]:
    policy = permissions.tickets
    works_on = permissions.is_desk(user) and policy.works_on(user, ticket)
    thread, opening_attachments = selectors.ticket_thread(viewer=user, ticket=ticket)
    context: dict[str, Any] = {
        "ticket": ticket,
        "thread": thread,
        "opening_mail": mail_selectors.opening_mail(ticket),
        "opening_attachments": opening_attachments,
        "history": list(selectors.ticket_history(viewer=user, ticket=ticket)),
        "works_on": works_on,
        "can_reply": policy.can(user, "reply", ticket),
        "can_close": policy.can(user, "close", ticket) and not works_on,
        "can_reopen": policy.can(user, "reopen", ticket),
        "can_rate": policy.can(user, "rate", ticket) and ticket.requester_id == user.pk,
        "reply_form": extra.pop("reply_form", None) or ReplyForm(),
        "reopen_form": extra.pop("reopen_form", None) or ReopenForm(),
        "rating_form": extra.pop("rating_form", None) or RatingForm(),
        "satisfaction": getattr(ticket, "satisfaction", None)
        if ticket.status in {TicketStatus.RESOLVED, TicketStatus.CLOSED}
        else None,
    }
    if works_on and policy.can(user, "update", ticket):
        context["edit_form"] = extra.pop("edit_form", None) or TicketEditForm(
            initial={
                "version": ticket.version,
                "status": ticket.status,
                "team": ticket.team_id,
                "assignee": ticket.assignee_id,
                "category": ticket.category_id,
                "type": ticket.type,
                "impact": ticket.impact,
                "urgency": ticket.urgency,
                "resolution": ticket.resolution,
                "tags": ", ".join(t.name for t in ticket.tags.all()),
            }
        )
    if works_on:
        context["requester_tickets"] = selectors.requester_open_tickets(ticket=ticket)
        context["canned"] = desk_config().canned_for(ticket.team_id)
        context["children_count"] = ticket.children.count() if ticket.is_major else 0
        context["can_merge"] = policy.can(user, "merge", ticket)
        context["watchers"] = list(ticket.watchers.only("display_name", "email"))
        context["links"] = selectors.ticket_links(ticket=ticket)
        context["link_kinds"] = LinkKind.choices
    context.update(extra)
    return context


@login_required
@require_POST
def ticket_reply(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_detail(viewer=user, reference=reference)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                actor=user,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Internal note added.")
                if form.cleaned_data["internal"]
                else _("Your message has been sent."),
            )
            return redirect(reverse("tickets:detail", args=[ticket.reference]) + "#conversation")
    ticket.refresh_from_db()
    return render(
        request, "tickets/detail.html", _detail_context(user, ticket, reply_form=form), status=400
    )


@login_required
@require_POST
def ticket_edit(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_detail(viewer=user, reference=reference)
    if not permissions.tickets.can(user, "update", ticket):
        raise PermissionDenied
    form = TicketEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changes = {
            name: data[name]
            for name in (
                "status",
                "team",
                "assignee",
                "category",
                "type",
                "impact",
                "urgency",
                "resolution",
            )
        }
        changes["tags"] = [t.strip() for t in data.get("tags", "").split(",") if t.strip()]
        try:
            services.ticket_update(
                ticket=ticket, actor=user, changes=changes, expected_version=data["version"]
            )
        except services.ConflictError as conflict:
            fresh = conflict.ticket
            differences = _conflict_diff(fresh, changes)
            form.add_error(
                None,
                _(
                    "Someone else changed this ticket while you were editing it. Your changes were "
                    "not saved: check the current values below, then apply your changes again."
                ),
            )
            ticket = selectors.ticket_detail(viewer=user, reference=reference)
            return render(
                request,
                "tickets/detail.html",
                _detail_context(user, ticket, edit_form=form, conflict=differences),
                status=409,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The ticket has been updated."))
            return redirect("tickets:detail", reference=ticket.reference)
    ticket.refresh_from_db()
    return render(
        request, "tickets/detail.html", _detail_context(user, ticket, edit_form=form), status=400
    )


def _conflict_diff(current: Any, attempted: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, mine in attempted.items():
        theirs = getattr(current, name)
        if (getattr(theirs, "pk", theirs) or None) != (getattr(mine, "pk", mine) or None):
            rows.append(
                {
                    "field": current._meta.get_field(name).verbose_name,
                    "current": _display(current, name),
                    "mine": mine or "—",
                }
            )
    return rows


def _display(ticket: Any, name: str) -> Any:
    method = getattr(ticket, f"get_{name}_display", None)
    value = method() if method else getattr(ticket, name)
    return value or "—"


@login_required
@require_POST
def ticket_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_detail(viewer=user, reference=reference)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_reopen(ticket=ticket, actor=user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The request has been reopened."))
            return redirect("tickets:detail", reference=ticket.reference)
    return render(
        request, "tickets/detail.html", _detail_context(user, ticket, reopen_form=form), status=400
    )


@login_required
@require_POST
def ticket_close(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_detail(viewer=user, reference=reference)
    services.ticket_close(ticket=ticket, actor=user)
    messages.success(request, _("The request is closed. Thank you!"))
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_POST
def ticket_rate(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_detail(viewer=user, reference=reference)
    form = RatingForm(request.POST)
    if form.is_valid():
        services.ticket_rate(
            ticket=ticket,
            actor=user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, _("Thank you for your feedback."))
        return redirect("tickets:detail", reference=ticket.reference)
    return render(
        request, "tickets/detail.html", _detail_context(user, ticket, rating_form=form), status=400
    )


@login_required
@require_POST
def ticket_flag_major(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_detail(viewer=user, reference=reference)
    try:
        services.ticket_flag_major(
            ticket=ticket, actor=user, major=request.POST.get("major") == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_POST
def ticket_join_major(request: HttpRequest, reference: str) -> HttpResponse:
    """Any signed-in person may say they are affected by an open major incident."""
    user = _user(request)
    parent = get_object_or_404(
        selectors.Ticket.objects.filter(is_major=True, parent__isnull=True), reference=reference
    )
    try:
        child = services.ticket_join_major(
            parent=parent, actor=user, comment=request.POST.get("comment", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("tickets:portal")
    messages.success(request, _("Noted: you will be informed as the incident progresses."))
    return redirect("tickets:detail", reference=child.reference)


@login_required
@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    attachment: Attachment = get_object_or_404(
        permissions.attachments.scope(request.user), pk=attachment_id
    )
    inline = request.GET.get("inline") == "1"
    return file_response(
        (attachment.storage_name, attachment.original_name, attachment.content_type),
        inline=inline,
    )


# --- Agent workspace --------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.tickets.can(user, "list_all"):
        raise Http404
    params = request.GET.copy()
    if "queue" not in params and not any(k for k in params if k not in {"page"}):
        params["queue"] = Queue.MINE
    form = TicketFilterForm(params)
    filters = form.cleaned_data if form.is_valid() else {"queue": Queue.MINE}
    qs = selectors.ticket_list(viewer=user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = params.copy()
    query.pop("page", None)
    can_bulk = permissions.tickets.can(user, "bulk")
    bulk_select = None
    if can_bulk:
        bulk_select = FastSelect(
            attrs={"id": "bulk-assignee"}, choices=form.fields["assignee"].widget.choices
        ).render("assignee", None)
    return render(
        request,
        "tickets/queue.html",
        {
            "form": form,
            "page": page,
            "rows": _queue_rows(page),
            "bulk_assignee_select": bulk_select,
            "query": query.urlencode(),
            "current_queue": filters.get("queue", ""),
            "saved_views": permissions.saved_views.scope(user, "list"),
            "can_bulk": can_bulk,
        },
        status=200 if form.is_valid() else 400,
    )


def _queue_rows(page: Any) -> list[dict[str, Any]]:
    """The table's cells, prepared in Python: the template engine is the slowest part of a
    queue page, so it only prints them."""
    detail_prefix = reverse("tickets:detail", args=["REF"]).removesuffix("REF/")
    statuses = dict(TicketStatus.choices)
    rows = []
    for ticket in selectors.with_list_relations(page):
        due = ticket.resolution_due
        rows.append(
            {
                "pk": ticket.pk,
                "url": f"{detail_prefix}{ticket.reference}/",
                "reference": ticket.reference,
                "select_label": _("Select %(ref)s") % {"ref": ticket.reference},
                "title": ticket.title,
                "priority": ticket.priority,
                "status": ticket.status,
                "status_label": statuses.get(ticket.status, ticket.status),
                "requester": ticket.requester.display_name,
                "team": ticket.team.name if ticket.team else "—",
                "agent": ticket.assignee.display_name if ticket.assignee else "—",
                "due": date_format(timezone.localtime(due), "SHORT_DATETIME_FORMAT")
                if due
                else "—",
                "paused": ticket.sla_paused_since is not None,
                "breached": ticket.resolution_breached or ticket.first_response_breached,
                "major": ticket.is_major,
            }
        )
    return rows


@login_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.saved_views.can(user, "create"):
        raise Http404
    name = request.POST.get("name", "").strip()[:80]
    query = request.POST.get("query", "")[:1000]
    try:
        services.saved_view_save(owner=user, name=name, query=query)
    except ValidationError:
        messages.error(request, _("Give the view a name; its filters must be valid."))
    else:
        messages.success(request, _("View saved."))
    return redirect(reverse("tickets:queue") + ("?" + query if query else ""))


@login_required
@require_http_methods(["GET", "POST"])
def saved_view_detail(request: HttpRequest, view_id: int) -> HttpResponse:
    """One of the person's saved views: open it, rename it (POST)."""
    view = permissions.saved_views.get_or_404(request.user, view_id)
    error = ""
    if request.method == "POST":
        try:
            services.saved_view_rename(view=view, name=request.POST.get("name", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("View renamed."))
            return redirect("tickets:saved_view", view_id=view.pk)
    return render(
        request,
        "tickets/saved_view.html",
        {"view": view, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = permissions.saved_views.get_or_404(request.user, view_id)
    services.saved_view_delete(view=view)
    messages.success(request, _("View deleted."))
    return redirect("tickets:queue")


@login_required
@require_POST
def bulk_update(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.tickets.can(user, "bulk"):
        if permissions.is_desk(user):
            raise PermissionDenied
        raise Http404
    ids = [int(v) for v in request.POST.getlist("tickets") if v.isdigit()]
    assignee_id = request.POST.get("assignee", "")
    assignee = User.objects.filter(pk=assignee_id).first() if assignee_id.isdigit() else None
    try:
        done, failed = services.tickets_bulk_change(
            actor=user,
            ticket_ids=ids,
            action=request.POST.get("action", ""),
            assignee=assignee,
            status=request.POST.get("status", ""),
        )
    except ValidationError as exc:
        # An unknown action or status (a forged form): said, not a server error.
        messages.error(request, " ".join(exc.messages))
        done = failed = 0
    if done:
        messages.success(request, _("%(count)d ticket(s) updated.") % {"count": done})
    if failed:
        messages.error(request, _("%(count)d ticket(s) could not be changed.") % {"count": failed})
    return redirect(reverse("tickets:queue") + "?" + request.POST.get("query", ""))


@login_required
@require_POST
def merge(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    duplicate = selectors.ticket_detail(viewer=user, reference=reference)
    target_ref = request.POST.get("into", "").strip().upper()
    try:
        into = selectors.ticket_detail(viewer=user, reference=target_ref)
    except Http404:
        messages.error(request, _("No ticket %(ref)s.") % {"ref": target_ref})
        return redirect("tickets:detail", reference=reference)
    try:
        services.ticket_merge(duplicate=duplicate, into=into, actor=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("tickets:detail", reference=reference)
    messages.success(request, _("Merged into %(ref)s.") % {"ref": into.reference})
    return redirect("tickets:detail", reference=into.reference)


REQUESTER_EVENTS = (
    NotificationEvent.ACKNOWLEDGEMENT,
    NotificationEvent.AGENT_REPLY,
    NotificationEvent.STATUS_CHANGE,
    NotificationEvent.RESOLUTION,
)


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    events = [e for e in NotificationEvent if permissions.is_desk(user) or e in REQUESTER_EVENTS]
    preference = NotificationPreference.objects.filter(user=user).first()
    muted = set(preference.muted) if preference else set()
    if request.method == "POST":
        wanted = set(request.POST.getlist("events"))
        services.notification_preferences_set(
            user=user, muted=[e.value for e in events if e.value not in wanted]
        )
        messages.success(request, _("Your notification choices have been saved."))
        return redirect("tickets:notifications")
    return render(
        request,
        "tickets/notifications.html",
        {
            "events": [(e.value, e.label, e.value not in muted) for e in events],
        },
    )


@login_required
@require_POST
def ticket_add_watcher(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_detail(viewer=user, reference=reference)
    email = request.POST.get("email", "").strip()
    watcher = User.objects.with_email(email).filter(is_active=True).first() if email else None
    if watcher is None:
        messages.error(request, _("Nobody has this e-mail address."))
    else:
        services.ticket_watch(ticket=ticket, actor=user, watcher=watcher)
        messages.success(
            request, _("%(name)s now follows this ticket.") % {"name": watcher.display_name}
        )
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_POST
def ticket_add_link(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    ticket = selectors.ticket_detail(viewer=user, reference=reference)
    kind = request.POST.get("kind", LinkKind.RELATED)
    target_ref = request.POST.get("target", "").strip().upper()
    if kind not in LinkKind.values:
        messages.error(request, _("Unknown link."))
        return redirect("tickets:detail", reference=ticket.reference)
    try:
        target = selectors.ticket_detail(viewer=user, reference=target_ref)
    except Http404:
        messages.error(request, _("No ticket %(ref)s.") % {"ref": target_ref})
        return redirect("tickets:detail", reference=ticket.reference)
    try:
        services.ticket_link(source=ticket, target=target, actor=user, kind=LinkKind(kind))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Tickets linked."))
    return redirect("tickets:detail", reference=ticket.reference)


# --- The intermediate archive ---------------------------------------------------------------------


@login_required
@require_GET
def archive_list(request: HttpRequest) -> HttpResponse:
    """Archived tickets, for archive readers only (404 for everyone else)."""
    if not permissions.archive.can(request.user, "list"):
        raise Http404
    reference = request.GET.get("q", "").strip()[:20]
    page = Paginator(
        selectors.archive_list(viewer=request.user, reference=reference), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    query = urlencode({"q": reference}) if reference else ""
    return render(
        request, "tickets/archive_list.html", {"page": page, "q": reference, "query": query}
    )


@login_required
@require_GET
def archive_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One archived ticket, read-only; every reading is in the security log."""
    ticket = selectors.archive_ticket(viewer=request.user, reference=reference)
    services.ticket_archive_read(ticket=ticket, reader=_user(request), request=request)
    thread, history, files = selectors.archive_record(ticket=ticket)
    return render(
        request,
        "tickets/archive_detail.html",
        {"ticket": ticket, "thread": thread, "history": history, "files": files},
    )
