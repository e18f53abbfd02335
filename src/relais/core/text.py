"""Plain-text rendering for e-mails. Text is not HTML: escaping it would turn "R&D" into
"R&amp;D" in the recipient's mail client, so these templates render without autoescape. They
must never produce HTML; HTML e-mails use the normal (escaping) engine."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.template import Engine


@cache
def _engine() -> Engine:
    from django.template.backends.django import get_installed_libraries

    return Engine(
        dirs=[str(path) for path in settings.TEMPLATES[0]["DIRS"]],  # type: ignore[attr-defined]
        app_dirs=True,
        autoescape=False,
        debug=False,
        libraries=get_installed_libraries(),
    )


def render_text(template_name: str, context: dict[str, Any]) -> str:
    return _engine().get_template(template_name).render(_context(context))


def _context(context: dict[str, Any]) -> Any:
    from django.template import Context

    return Context(context, autoescape=False)
