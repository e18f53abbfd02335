"""The widgets rendered in Python give the markup Django's templates give, escaped the same."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from relais.core.widgets import FastSelect, FastSelectsMixin

HOSTILE = "<script>alert('x')</script> & \"quoted\""


class PlainForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="help")
    count = forms.IntegerField(min_value=1, required=False)
    email = forms.EmailField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    choice = forms.ChoiceField(choices=[("a", "Alpha"), ("<b>", HOSTILE)])
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)


class FastForm(FastSelectsMixin, PlainForm):
    pass


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"title": HOSTILE, "count": "3", "email": "a@b.fr", "version": "7", "body": HOSTILE},
        {"title": "", "body": "", "choice": "<b>", "many": ["1", "2"], "version": "x"},
    ],
)
def test_fast_widgets_render_what_django_renders(data: Any) -> None:
    plain, fast = PlainForm(data=data), FastForm(data=data)
    if data is not None:  # errors switch aria-invalid on: the same on both sides
        plain.is_valid()
        fast.is_valid()
    for name in PlainForm.base_fields:
        expected, got = str(plain[name]), str(fast[name])
        assert type(fast.fields[name].widget) is not type(plain.fields[name].widget)
        if name in ("choice", "many"):  # Django puts newlines between options; we do not
            expected = expected.replace("\n", "").replace("  ", "")
        assert got == expected, name


def test_select_options_are_escaped_and_selection_follows_the_value() -> None:
    widget = FastSelect(choices=[("1", "Un"), ("2", HOSTILE)])
    for _ in range(2):  # the second time from the cache of rendered options
        html = widget.render("pick", "2")
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert '<option value="2" selected>' in html and '<option value="1">' in html
    assert '<option value="1" selected>' in widget.render("pick", "1")
    assert " selected" not in widget.render("pick", None)
