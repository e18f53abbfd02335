"""Structured logs: one line per event, `key=value` pairs that log collectors parse; error
reports scrubbed of request bodies, cookies and traceback variables."""

from __future__ import annotations

import json
import logging
from collections.abc import ItemsView
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                fields[key] = value
        line = " ".join(
            f"{key}={json.dumps(value, default=str, ensure_ascii=False)}"
            for key, value in fields.items()
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class ScrubbingReporterFilter(SafeExceptionReporterFilter):
    """What Django's error reports (the administrators' mail when ADMINS is set, any reporter
    that uses the filter) show of a failed request: no request body, no cookie, no local
    variable of the traceback — every value replaced, whatever its name (Django's own filter
    hides only names that look secret, and hides no cookie but the Cookie header). Settings
    and headers keep Django's name-based cleansing (Authorization, Cookie, *KEY*, *TOKEN*…)."""

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, str]:
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, str]:
        return dict.fromkeys(getattr(request, "COOKIES", {}), self.cleansed_substitute)

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> ItemsView[str, Any]:
        names = super().get_traceback_frame_variables(request, tb_frame)
        return {name: self.cleansed_substitute for name, _value in names}.items()
