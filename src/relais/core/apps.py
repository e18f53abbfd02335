from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "relais.core"
    label = "core"
    verbose_name = "Relais"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from relais.core import (
            navigation,
            outbox,  # noqa: F401  (registers the built-in outbox handlers)
        )

        navigation.register(
            navigation.NavItem("home", _("Home"), "core:home", lambda user: True, order=0)
        )
        navigation.register(
            navigation.NavItem(
                "administration",
                _("Administration"),
                "core:outbox",
                lambda user: getattr(user, "is_admin", False),
                order=95,
            )
        )
