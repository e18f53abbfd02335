from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "relais.mail"
    label = "mail"
    verbose_name = _("E-mail channel")

    def ready(self) -> None:
        from relais.core import navigation
        from relais.core.permissions import is_active_user
        from relais.mail import signals  # noqa: F401  (connects the receivers)

        def _visible(user: object) -> bool:
            from relais.mail.permissions import mail_policy

            return is_active_user(user) and mail_policy.can(user, "list")

        navigation.register(
            navigation.NavItem(
                key="mail",
                label=_("Inbound e-mail"),
                url_name="mail:list",
                visible=_visible,
                order=90,
            )
        )
