"""Select widgets rendered in Python instead of one template per <option>.

Django renders every option of a <select> through the template engine; a form with a few
hundred options then costs ~20 ms per page. These widgets produce the same markup with
`format_html` (escaping every value and label), for the lists and forms shown on hot pages.
"""

from __future__ import annotations

import hashlib
from typing import Any
from weakref import WeakKeyDictionary

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        selected = {str(v) for v in self.format_value(value)}
        rows = []
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):  # optgroups are not used here
                raise ValueError("FastSelect does not render option groups")
            key = "" if option_value is None else str(option_value)
            rows.append((key, " selected" if key in selected else "", option_label))
        options = format_html_join("", '<option value="{}"{}>{}</option>', rows)
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class FastSelectMultiple(FastSelect):
    allow_multiple_selected = True

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        getter = getattr(data, "getlist", None)
        return getter(name) if getter is not None else data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


class FastSelectsMixin:
    """A form mixin swapping Django's Select/SelectMultiple widgets for the fast ones."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            old = field.widget
            replacement: type[FastSelect] | None = None
            if type(old) is forms.SelectMultiple:
                replacement = FastSelectMultiple
            elif type(old) is forms.Select:
                replacement = FastSelect
            if replacement is not None:
                widget = replacement(attrs=old.attrs)
                widget.choices = (
                    _cached_model_choices(field, type(self).base_fields.get(name))  # type: ignore[attr-defined]
                    if isinstance(field, forms.ModelChoiceField)
                    else field.choices  # type: ignore[attr-defined]
                )
                widget.is_required = field.required
                field.widget = widget


CHOICES_TTL = 60  # seconds a rendered list of people, teams or categories may lag behind


# The SQL of a declared field's queryset, compiled once per process: a form's fields are
# copies of its class's fields, made just before the mixin runs, so they share that SQL.
_declared_sql: WeakKeyDictionary[forms.Field, str] = WeakKeyDictionary()


def _cached_model_choices(
    field: forms.ModelChoiceField, declared: forms.Field | None = None
) -> list[tuple[str, str]]:
    """The (value, label) pairs of a model choice list, shared by all requests for a minute:
    they are the same for everyone and rarely change. Validation still uses the queryset."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    queryset = field.queryset
    assert queryset is not None
    sql = _declared_sql.get(declared) if declared is not None else None
    if sql is None:
        sql = str(queryset.query)
        if isinstance(declared, forms.ModelChoiceField) and declared.queryset is not None:
            _declared_sql[declared] = sql
    key = (
        "choices:"
        + hashlib.sha256(f"{get_language()}:{field.empty_label}:{sql}".encode()).hexdigest()
    )
    choices = cache.get(key)
    if choices is None:
        choices = [(str(value), str(label)) for value, label in field.iterator(field)]
        cache.set(key, choices, CHOICES_TTL)
    return choices
