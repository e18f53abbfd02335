from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "relais.community"
    label = "community"
    verbose_name = _("Peer help")

    def ready(self) -> None:
        from relais.community.search import QuestionSource, connect_answers
        from relais.search import registry

        source = QuestionSource()
        registry.register(source)
        connect_answers(source)

        from relais.core import navigation

        navigation.register(
            navigation.NavItem(
                "community", _("Peer help"), "community:list", lambda u: True, order=35
            )
        )
