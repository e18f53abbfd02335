from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "relais.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from relais.core import navigation
        from relais.kb.search import ArticleSource
        from relais.search import registry

        registry.register(ArticleSource())

        navigation.register(
            navigation.NavItem("kb", _("Knowledge base"), "kb:list", lambda u: True, order=30)
        )
