from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "relais.assets"
    label = "assets"
    verbose_name = _("Assets")

    def ready(self) -> None:
        from relais.core import navigation

        navigation.register(
            navigation.NavItem(
                "my_equipment",
                _("My equipment"),
                "assets:mine",
                lambda u: bool(u.is_authenticated),
                order=25,
            )
        )
        navigation.register(
            navigation.NavItem(
                "assets", _("Assets"), "assets:list", lambda u: u.is_staff_member, order=45
            )
        )
