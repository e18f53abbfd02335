from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "relais.accounts"
    label = "accounts"
    verbose_name = _("Accounts and organisation")

    def ready(self) -> None:
        from relais.accounts import audit  # noqa: F401  (connects login/lockout audit receivers)
        from relais.accounts.permissions import is_staff_member
        from relais.core import navigation

        navigation.register(
            navigation.NavItem(
                "directory", _("Directory"), "accounts:user_list", is_staff_member, order=80
            )
        )
        navigation.register(
            navigation.NavItem(
                "profile", _("My profile"), "accounts:profile", lambda user: True, order=90
            )
        )
