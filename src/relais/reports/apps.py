from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "relais.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from relais.core import navigation
        from relais.reports import permissions

        navigation.register(
            navigation.NavItem(
                "reports",
                _("Reports"),
                "reports:index",
                lambda u: permissions.reports.can(u, "view"),
                order=60,
            )
        )
