from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "relais.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from relais.search.models import SynonymGroup

        def changed(**kwargs: object) -> None:
            from relais.search.services import synonyms_changed

            synonyms_changed()

        post_save.connect(
            changed, sender=SynonymGroup, weak=False, dispatch_uid="search.synonyms.save"
        )
        post_delete.connect(
            changed, sender=SynonymGroup, weak=False, dispatch_uid="search.synonyms.del"
        )
