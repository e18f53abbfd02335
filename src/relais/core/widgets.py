"""Select widgets rendered in Python instead of one template per <option>.

Django renders every option of a <select> through the template engine; a form with a few
hundred options then costs ~20 ms per page. These widgets produce the same markup with
`format_html` (escaping every value and label), for the lists and forms shown on hot pages.
"""

from __future__ import annotations

import copy
import hashlib
import html
from typing import Any
from weakref import WeakKeyDictionary

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        selected = {str(v) for v in self.format_value(value)}
        options = "".join(
            chosen if key in selected else plain for key, plain, chosen in _options(self.choices)
        )
        rows = SafeString(options)  # static-ban: allow (each value and label escaped by _options)
        return format_html('<select name="{}"{}>{}</select>', name, _attrs_html(final_attrs), rows)


# Escaped <option> rows of the choice lists seen recently, keyed by their (value, label) text
# (labels already translated): the same lists are drawn on every desk page.
_OPTIONS_KEPT = 512
_options_cache: dict[tuple[tuple[str, str, bool], ...], tuple[tuple[str, str, str], ...]] = {}


def _options(choices: Any) -> tuple[tuple[str, str, str], ...]:
    """(value, unselected row, selected row) for each choice; labels are escaped only when
    the list is first seen (a label that is already safe HTML is kept as it is)."""
    pairs = []
    for option_value, option_label in choices:
        if isinstance(option_label, list | tuple):  # optgroups are not used here
            raise ValueError("FastSelect does not render option groups")
        value = "" if option_value is None else str(option_value)
        pairs.append((value, str(option_label), hasattr(option_label, "__html__")))
    key = tuple(pairs)
    rows = _options_cache.get(key)
    if rows is None:
        rows = tuple(
            (
                value,
                f'<option value="{html.escape(value)}">{text}</option>',
                f'<option value="{html.escape(value)}" selected>{text}</option>',
            )
            for value, text in (
                (value, label if safe else html.escape(label)) for value, label, safe in pairs
            )
        )
        if len(_options_cache) >= _OPTIONS_KEPT:
            _options_cache.clear()
        _options_cache[key] = rows
    return rows


class FastSelectMultiple(FastSelect):
    allow_multiple_selected = True

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        getter = getattr(data, "getlist", None)
        return getter(name) if getter is not None else data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


def _attrs_html(attrs: dict[str, Any]) -> SafeString:
    """Django's `django/forms/widgets/attrs.html`, in Python: same order, True as a bare
    name, False left out."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(format_html(" {}", name))
        else:
            parts.append(format_html(' {}="{}"', name, str(value)))
    return SafeString("".join(parts))  # static-ban: allow (parts made by format_html)


class _FastInputRender:
    """Django's `input.html` in Python (the same markup, without a template per field)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = widget["value"]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            format_html(' value="{}"', str(shown)) if shown is not None else "",
            _attrs_html(widget["attrs"]),
        )


class FastTextInput(_FastInputRender, forms.TextInput):
    pass


class FastNumberInput(_FastInputRender, forms.NumberInput):
    pass


class FastEmailInput(_FastInputRender, forms.EmailInput):
    pass


class FastHiddenInput(_FastInputRender, forms.HiddenInput):
    pass


class FastTextarea(forms.Textarea):
    """Django's `textarea.html` in Python."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            widget["name"],
            _attrs_html(widget["attrs"]),
            widget["value"] or "",
        )


# Exact classes only: a subclass may render differently.
_FAST_WIDGETS: dict[type[forms.Widget], type[forms.Widget]] = {
    forms.TextInput: FastTextInput,
    forms.NumberInput: FastNumberInput,
    forms.EmailInput: FastEmailInput,
    forms.HiddenInput: FastHiddenInput,
    forms.Textarea: FastTextarea,
}


class FastSelectsMixin:
    """A form mixin swapping Django's Select/SelectMultiple widgets for the fast ones, and its
    plain inputs and text areas for ones rendered in Python (same markup)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            old = field.widget
            fast = _FAST_WIDGETS.get(type(old))
            if fast is not None:
                field.widget = copy.copy(old)  # attrs, required, localisation: all kept
                field.widget.__class__ = fast
                continue
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
