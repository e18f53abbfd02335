from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "relais.monitoring"
    label = "monitoring"
    verbose_name = _("Service watch")

    def ready(self) -> None:
        from relais.core import navigation
        from relais.monitoring import webhooks  # noqa: F401  (registers the webhook handler)
        from relais.monitoring.permissions import is_staff

        navigation.register(
            navigation.NavItem(
                "monitoring", _("Service watch"), "monitoring:status", is_staff, order=60
            )
        )
