from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from relais.core import navigation


def navigation_context(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = navigation.items_for(user) if user is not None else []
    path = request.path
    current = ""
    for item in items:
        if path.startswith(item["url"]) and len(item["url"]) > len(current):
            current = item["url"]
    return {"nav_items": items, "nav_current": current, "site_url": settings.SITE_URL}
