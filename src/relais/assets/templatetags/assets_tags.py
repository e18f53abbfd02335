"""Hooks of the asset park in other apps' pages (the ticket form and the ticket page)."""

from __future__ import annotations

from typing import Any

from django import template

from relais.assets import selectors

register = template.Library()


@register.inclusion_tag("assets/_ticket_form_assets.html", takes_context=True)
def ticket_form_assets(context: template.Context) -> dict[str, Any]:
    """The requester's own assets, offered in the new-ticket form (field `asset`)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    assets = selectors.my_assets(user) if user is not None and user.is_authenticated else []
    chosen = request.POST.get("asset", "") if request is not None else ""
    return {"assets": assets, "chosen": chosen}


@register.inclusion_tag("assets/_ticket_assets.html")
def ticket_requester_assets(ticket: Any) -> dict[str, Any]:
    """For the desk on a ticket page: the assets the ticket is about and the requester's."""
    linked, others = selectors.ticket_page_assets(ticket)
    return {"linked": linked, "others": others}
