"""Inbound e-mail pages: the list and detail for administrators and supervisors, the
mailboxes for administrators, and the original of a mail filed on a ticket."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relais.core.files import file_response
from relais.core.permissions import deny
from relais.core.sanitize import sanitize_html
from relais.mail import services
from relais.mail.forms import InboundFilterForm, MailboxForm
from relais.mail.models import InboundMessage, Mailbox
from relais.mail.permissions import mail_policy, mailbox_policy
from relais.tickets import permissions as ticket_permissions


@login_required
@require_GET
def inbound_list(request: HttpRequest) -> HttpResponse:
    if not mail_policy.can(request.user, "list"):
        deny(request.user)
    form = InboundFilterForm(request.GET)
    qs = mail_policy.scope(request.user, "list").select_related("ticket", "mailbox")
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["sender"]:
            qs = qs.filter(sender=form.cleaned_data["sender"].strip().lower())
    qs = qs.defer("original_text", "original_html")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "mail/inbound_list.html",
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "can_mailboxes": mailbox_policy.can(request.user, "list"),
        },
    )


@login_required
@require_GET
def inbound_detail(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = mail_policy.get_or_404(request.user, inbound_id)
    return render(
        request,
        "mail/inbound_detail.html",
        {
            "inbound": inbound,
            "can_raw": mail_policy.can(request.user, "raw", inbound),
            "actions": services.actions_for(inbound),
        },
    )


@login_required
@require_GET
def inbound_raw(request: HttpRequest, inbound_id: int) -> HttpResponseBase:
    inbound = mail_policy.get_or_404(request.user, inbound_id, "raw")
    if inbound.raw_purged_at is not None:
        raise Http404  # deleted by the retention job
    return file_response(
        (inbound.raw_name, f"message-{inbound.pk}.eml", "message/rfc822"), inline=False
    )


def _act(request: HttpRequest, inbound_id: int, action: str) -> HttpResponse:
    inbound = mail_policy.get_or_404(request.user, inbound_id, action)
    user: Any = request.user
    try:
        done = services.message_act(inbound=inbound, action=action, actor=user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("mail:detail", inbound.pk)
    messages.success(request, services.Result(done, True).summary)
    return redirect("mail:detail", inbound.pk)


@login_required
@require_POST
def inbound_release(request: HttpRequest, inbound_id: int) -> HttpResponse:
    return _act(request, inbound_id, "release")


@login_required
@require_POST
def inbound_discard(request: HttpRequest, inbound_id: int) -> HttpResponse:
    return _act(request, inbound_id, "discard")


@login_required
@require_POST
def inbound_replay(request: HttpRequest, inbound_id: int) -> HttpResponse:
    return _act(request, inbound_id, "replay")


@login_required
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    if not mailbox_policy.can(request.user, "list"):
        deny(request.user)
    mailboxes = mailbox_policy.scope(request.user).select_related("category")
    return render(request, "mail/mailbox_list.html", {"mailboxes": mailboxes})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, mailbox_id: int | None = None) -> HttpResponse:
    if not mailbox_policy.can(request.user, "change"):
        deny(request.user)
    mailbox = mailbox_policy.get_or_404(request.user, mailbox_id) if mailbox_id else Mailbox()
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.MAILBOX_FIELDS}
        try:
            saved = services.mailbox_save(
                mailbox=Mailbox.objects.get(pk=mailbox.pk) if mailbox.pk else Mailbox(),
                data=data,
                password=form.cleaned_data["password"],
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Mailbox saved."))
            return redirect("mail:mailbox_edit", saved.pk)
    return render(request, "mail/mailbox_form.html", {"form": form, "mailbox": mailbox})


@login_required
@require_GET
def original(request: HttpRequest, reference: str, inbound_id: int) -> HttpResponse:
    """The mail as it arrived (text with its quoted history, sanitised HTML), for whoever may
    see what it became on the ticket."""
    ticket = get_object_or_404(ticket_permissions.tickets.scope(request.user), reference=reference)
    inbound = get_object_or_404(
        InboundMessage.objects.select_related("ticket_message"), pk=inbound_id, ticket=ticket
    )
    message = inbound.ticket_message
    if message is not None and message.kind not in ticket_permissions.messages.visible_kinds(
        request.user
    ):
        raise Http404
    return render(
        request,
        "mail/original.html",
        {
            "ticket": ticket,
            "inbound": inbound,
            # Sanitised when stored, and again now: the allow-list may have tightened since.
            "original_html": sanitize_html(inbound.original_html) if inbound.original_html else "",
        },
    )
