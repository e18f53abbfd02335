"""Permission-matrix helper: role × object × action, through the HTML views and the API.

The expected answers live in checked-in YAML files (tests/permissions/*.yaml):

    <object type>:
      <action>:
        <role>: [<object names the role may act on>]   # or `all` / `none`

The test supplies the people (one per role), the objects by name, and for each action how to
call it in HTML and in the API. Every cell is exercised on both interfaces; a refused action
must answer 404 when it targets an object (the object is invisible) and 403 when it targets a
collection (or 404 for people outside the desk on admin-only pages), and must change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.test import Client

from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import User
from relais.accounts.services import token_create

ROLES = [Role.COLLABORATOR, Role.AGENT, Role.SUPERVISOR, Role.ADMIN]


@dataclass(frozen=True)
class Call:
    method: str
    url: Callable[[Any], str]
    data: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Action:
    html: Call | None = None
    api: Call | None = None
    on_object: bool = True
    # Admin-only pages answer 403 to staff and 404 to everyone else (SECURITY.md A7).
    admin_only: bool = False


@dataclass
class Outcome:
    failures: list[str] = field(default_factory=list)
    cells: int = 0


def load_matrix(name: str) -> dict[str, Any]:
    path = Path(__file__).parent / "permissions" / f"{name}.yaml"
    return yaml.safe_load(path.read_text())


def _allowed_objects(spec: Any, object_names: list[str]) -> set[str]:
    if spec == "all":
        return set(object_names)
    if spec in (None, "none"):
        return set()
    return set(spec)


def _html_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api_client(user: User) -> Client:
    issued = token_create(user=user, name="matrix", scope=TokenScope.WRITE)
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def _request(client: Client, call: Call, obj: Any, json: bool) -> Any:
    url = call.url(obj)
    data = call.data(obj) if callable(call.data) else call.data
    method = getattr(client, call.method.lower())
    if json and call.method.upper() in {"POST", "PUT", "PATCH"}:
        return method(url, data=data or {}, content_type="application/json")
    return method(url, data=data or {})


def _denied_status(action: Action, user: User) -> int:
    if action.admin_only:
        return 403 if user.is_staff_member else 404
    return 404 if action.on_object else 403


def check_matrix(
    *,
    matrix: dict[str, Any],
    people: dict[str, User],
    objects: dict[str, dict[str, Callable[[User], Any]]],
    actions: dict[str, dict[str, Action]],
) -> Outcome:
    """Run every cell. `objects[type][name](actor)` builds the object afresh, from the acting
    person's point of view ("own", "other"…), so that a destructive action in one cell cannot
    spoil the next; each cell runs in a savepoint rolled back afterwards."""
    outcome = Outcome()
    missing = [
        f"{object_type}.{action_name}"
        for object_type, by_action in matrix.items()
        for action_name in by_action
        if action_name not in actions.get(object_type, {})
    ]
    assert not missing, f"actions in the matrix without a route: {missing}"
    for object_type, by_action in matrix.items():
        names = list(objects[object_type])
        for action_name, by_role in by_action.items():
            action = actions[object_type][action_name]
            for role in ROLES:
                allowed = _allowed_objects(by_role.get(role), names)
                user = people[role]
                for name in names if action.on_object else ["*"]:
                    expected_ok = (name in allowed) if action.on_object else bool(allowed)
                    for channel, call in (("html", action.html), ("api", action.api)):
                        if call is None:
                            continue
                        outcome.cells += 1
                        sid = transaction.savepoint()
                        try:
                            obj = objects[object_type][name](user) if action.on_object else None
                            client = _html_client(user) if channel == "html" else _api_client(user)
                            response = _request(client, call, obj, json=channel == "api")
                            status = response.status_code
                        finally:
                            transaction.savepoint_rollback(sid)
                        ok = status < 400 if expected_ok else status == _denied_status(action, user)
                        if not ok:
                            outcome.failures.append(
                                f"{role} {action_name} {object_type}:{name} via {channel}: "
                                f"got {status}, expected "
                                f"{'success' if expected_ok else _denied_status(action, user)}"
                            )
    return outcome
