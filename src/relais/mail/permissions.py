"""Who may see and handle inbound mail.

- Administrators: everything — the inbound list, each message with its raw bytes, replay,
  quarantine release and discard, and the mailboxes (whose passwords nobody sees back).
- Supervisors: the inbound list and each message (not the raw bytes), release and discard
  (triage of the quarantine), replay.
- Everyone else: nothing here (404). The original of a mail filed on a ticket is shown to
  whoever may see the message on that ticket (relais.mail.views.original).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from relais.accounts.choices import Role
from relais.core.permissions import AdminOnlyPolicy, Policy, is_active_user
from relais.mail.models import InboundMessage, Mailbox

SUPERVISOR_ACTIONS = frozenset({"list", "view", "replay", "release", "discard"})
ADMIN_ACTIONS = SUPERVISOR_ACTIONS | {"raw"}


def _role(user: Any) -> str:
    return str(getattr(user, "role", ""))


class InboundMessagePolicy(Policy[InboundMessage]):
    model = InboundMessage

    def _actions(self, user: Any) -> frozenset[str]:
        if not is_active_user(user):
            return frozenset()
        if _role(user) == Role.ADMIN:
            return ADMIN_ACTIONS
        if _role(user) == Role.SUPERVISOR:
            return SUPERVISOR_ACTIONS
        return frozenset()

    def scope(self, user: Any, action: str = "view") -> QuerySet[InboundMessage]:
        if action in self._actions(user):
            return InboundMessage.objects.all()
        return InboundMessage.objects.none()

    def can(self, user: Any, action: str, obj: InboundMessage | None = None) -> bool:
        return action in self._actions(user)


mail_policy = InboundMessagePolicy()
mailbox_policy = AdminOnlyPolicy(Mailbox)
