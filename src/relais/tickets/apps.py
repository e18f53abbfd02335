from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "relais.tickets"
    label = "tickets"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from relais.core import navigation
        from relais.search import registry
        from relais.tickets import config  # noqa: F401  (connects the invalidation signals)
        from relais.tickets.permissions import is_desk, reads_archive
        from relais.tickets.search import TicketSource, connect_team_upkeep

        navigation.register(
            navigation.NavItem(
                "my_tickets", _("My requests"), "tickets:portal", lambda u: True, order=10
            )
        )
        navigation.register(
            navigation.NavItem(
                "new_ticket", _("New request"), "tickets:new", lambda u: True, order=11
            )
        )
        navigation.register(
            navigation.NavItem("queues", _("Queues"), "tickets:queue", is_desk, order=20)
        )
        navigation.register(
            navigation.NavItem(
                "archive", _("Archive"), "tickets:archive_list", reads_archive, order=90
            )
        )
        registry.register(TicketSource())
        connect_team_upkeep()
