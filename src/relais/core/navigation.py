"""The main navigation, built per role. Each app registers its entries in `AppConfig.ready`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    visible: Callable[[Any], bool]
    order: int = 100


_ITEMS: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _ITEMS[item.key] = item


def items_for(user: Any) -> list[dict[str, str]]:
    if not user.is_authenticated:
        return []
    return [
        {"key": item.key, "label": str(item.label), "url": reverse(item.url_name)}
        for item in sorted(_ITEMS.values(), key=lambda i: (i.order, i.key))
        if item.visible(user)
    ]
