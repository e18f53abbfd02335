"""A5, mass assignment and relation tampering, swept from the OpenAPI schema
(/api/v1/openapi.json) on the route inventory's world (tests/route_world.py): every write
operation (POST, PUT, PATCH with a JSON or a multipart body), as every role. A multipart
operation (a file upload) gets a small real PNG and a .txt in each file field of its schema,
its other fields as form data, so that the upload path runs.

(a) A plausible body plus the privileged fields the operation does not declare (role,
    is_staff, is_superuser, reads_archive, requester_id, author_id, owner_id, team_id,
    internal, status…), pointing at a "victim" person and team that own nothing: the answer
    is a 4xx with a JSON error, or the fields were not applied: afterwards no row refers to
    the victim person or team, nobody's role or flags changed, no ticket was closed by an
    operation that has no status, and a requester wrote nothing internal.
(b) For each declared field that refers to another object, the id of an object the caller
    cannot see (outside the object's policy scope, or missing where every object is visible
    to that role): a 4xx with a JSON error, and nothing written.

Each request runs in a savepoint rolled back afterwards, so every request meets the same
world. Every role on SQLite; on PostgreSQL (the second half of `make test`, where the same
code answers) the two ends of the role scale, as tests/test_api_fuzz.py does
(`RELAIS_A5_ROLES=all` for the four)."""

from __future__ import annotations

import functools
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import ForeignKey, Model
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from relais.accounts import permissions as account_permissions
from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import Team, User
from relais.assets import permissions as asset_permissions
from relais.assets.models import Asset
from relais.core.api import api as openapi
from relais.kb.models import Article
from relais.kb.permissions import article_policy
from relais.tickets import permissions as ticket_permissions
from relais.tickets.choices import MessageKind, TicketStatus
from relais.tickets.models import Attachment, Ticket, TicketMessage
from tests import route_world
from tests.factories import TeamFactory, UserFactory
from tests.security.test_sweeps import WriteRecorder
from tests.test_routes import ROLES, concrete

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch")
# What a refused request may still write: the token's last use and the session.
REFUSAL_WRITES = {"accounts_apitoken", "django_session"}


def sweep_roles() -> list[str]:
    if os.environ.get("RELAIS_A5_ROLES") == "all" or connection.vendor == "sqlite":
        return list(ROLES)
    return [Role.COLLABORATOR, Role.ADMIN]


@functools.cache
def _schema() -> tuple[dict[str, Any], dict[str, Any]]:
    schema = openapi.get_openapi_schema()
    return schema["paths"], schema["components"]["schemas"]


def _resolve(node: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = components[node["$ref"].split("/")[-1]]
    if "anyOf" in node:  # Optional[X]: the non-null branch
        branches = [b for b in node["anyOf"] if b.get("type") != "null"]
        node = _resolve(branches[0], components) if branches else {"type": "null"}
    if "allOf" in node and len(node["allOf"]) == 1:
        node = _resolve(node["allOf"][0], components)
    return node


JSON, MULTIPART = "application/json", "multipart/form-data"


def write_operations() -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, body schema, content type) of every write operation: a JSON body, a
    multipart form (file uploads), or none."""
    paths, components = _schema()
    found = []
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method not in WRITE_METHODS:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            kind = next((k for k in (JSON, MULTIPART) if k in content), JSON)
            if kind in content:
                body = _resolve(content[kind]["schema"], components)
            else:
                body = {"type": "object", "properties": {}}  # no body
            found.append((method.upper(), path, body, kind))
    return found


def file_fields(body: dict[str, Any]) -> set[str]:
    """The fields of a multipart schema that carry files (format binary, or arrays of them)."""
    _paths, components = _schema()
    found = set()
    for name, node in body.get("properties", {}).items():
        node = _resolve(node, components)
        if node.get("type") == "array":
            node = _resolve(node.get("items", {}), components)
        if node.get("format") == "binary":
            found.add(name)
    return found


def send(client: Client, method: str, url: str, data: dict[str, Any], kind: str) -> Any:
    """The request, with a JSON body or as a multipart form whose file fields (`data`'s
    values that are files) carry real files."""
    if kind != MULTIPART:
        return client.generic(method, url, data=_dumps(data), content_type=JSON)
    form: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, dict):
            value = _dumps(value)
        form[name] = value
    return client.generic(
        method, url, data=encode_multipart(BOUNDARY, form), content_type=MULTIPART_CONTENT
    )


def upload_files() -> list[SimpleUploadedFile]:
    """A small real PNG and a text file, new for each request (a request reads them)."""
    return [
        SimpleUploadedFile("capture-a5.png", route_world.PNG, "image/png"),
        SimpleUploadedFile("journal-a5.txt", b"Journal de connexion VPN\n", "text/plain"),
    ]


def media_files() -> set[Path]:
    """The files stored under MEDIA_ROOT (each test has its own directory)."""
    root = Path(django_settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


INTERNAL = {"internal", "is_internal"}


def hidden_world() -> Ticket:
    """Objects outside the callers' policy scopes, for (b) to name: a closed, archived ticket
    (outside every role's scope, SECURITY.md H3; not the route world's ticket, which the
    sweeps write to), a stranger's laptop (hidden from requesters), and a question hidden by
    moderation with an answer and a comment of strangers (hidden from non-moderators).
    Returns the archived ticket."""
    from relais.assets import services as assets
    from relais.assets.models import AssetModel
    from relais.community import services as community
    from relais.community.models import Member, Question
    from relais.tickets.choices import Level
    from relais.tickets.models import Category
    from relais.tickets.services import TicketDraft, ticket_open

    stranger, neighbour = UserFactory(role=Role.COLLABORATOR), UserFactory(role=Role.COLLABORATOR)
    category = Category.objects.filter(is_active=True, parent__isnull=False).order_by("pk")[0]
    ticket = ticket_open(
        actor=stranger,
        draft=TicketDraft(
            category=category,
            title="Ancienne demande",
            description="Archivée depuis longtemps.",
            impact=Level.LOW,
            urgency=Level.LOW,
        ),
    )
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        status=TicketStatus.CLOSED, closed_at=now, archived_at=now
    )

    keeper = UserFactory(role=Role.AGENT)
    laptop = assets.asset_create(
        actor=keeper,
        data=assets.AssetData(
            model=AssetModel.objects.order_by("pk")[0], tag="PC-9001", serial_number="S9001"
        ),
    )
    assets.asset_move(actor=keeper, asset=laptop, state="prepared")
    assets.asset_move(actor=keeper, asset=laptop, state="assigned", holder=stranger)

    for member in (stranger, neighbour):
        community.member_join(user=member)
    Member.objects.filter(pk__in=[stranger.pk, neighbour.pk]).update(
        joined_at=now - timedelta(days=365)
    )
    question = community.question_ask(
        author=stranger, title="Imprimante du 3e", body="Elle ne répond plus.", tags=["impression"]
    )
    answer = community.answer_post(question=question, author=neighbour, body="Redémarrez-la.")
    community.comment_post(actor=neighbour, answer=answer, body="Chez moi aussi.")
    Question.objects.filter(pk=question.pk).update(is_hidden=True)
    return ticket


# --- A plausible body ----------------------------------------------------------------------------


def _value(
    name: str, node: dict[str, Any], components: dict[str, Any], refs: dict[str, Any]
) -> Any:
    node = _resolve(node, components)
    if name in refs:
        return refs[name]
    if "enum" in node:
        return node["enum"][0]
    if "default" in node and node["default"] is not None:
        return node["default"]
    kind = node.get("type")
    if kind == "string":
        fmt = node.get("format", "")
        if fmt == "date":
            return (timezone.localdate() + timedelta(days=7)).isoformat()
        if fmt == "date-time":
            return (timezone.now() + timedelta(days=1)).isoformat()
        if fmt == "email" or "email" in name:
            return "a5@relais.test"
        text = "Balayage A5 : texte de test"
        return text[: node.get("maxLength", len(text))].ljust(node.get("minLength", 0), "x")
    if kind == "integer":
        return max(int(node.get("minimum", 1)), 1) if "version" not in name else 1
    if kind == "number":
        return node.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return None


def plausible_body(body: dict[str, Any], refs: dict[str, Any]) -> dict[str, Any]:
    _paths, components = _schema()
    return {
        name: _value(name, node, components, refs)
        for name, node in body.get("properties", {}).items()
    }


# --- What the caller may reference, and what it may not ------------------------------------------


def _visible_refs(user: User) -> dict[str, Any]:
    """Ids of objects of the world that a role may reference (so that (a)'s writes succeed)."""
    from relais.assets.models import AssetModel
    from relais.tickets.models import Category

    ticket = ticket_permissions.tickets.scope(user).order_by("pk").first()
    return {
        "category_id": Category.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first(),
        "model_id": AssetModel.objects.order_by("pk").values_list("pk", flat=True).first(),
        "target": ticket.reference if ticket else "",
        "user_id": user.pk,
        "requester_id": user.pk,
    }


def _missing(model: type[Model]) -> int:
    last = model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    return int(last) + 10_000


def _outside(user: User, model: type[Model], policy: Any) -> int:
    """An object the user cannot see (outside the policy's scope), else a missing id."""
    hidden = model._base_manager.exclude(pk__in=policy.scope(user).values("pk")).order_by("pk")
    found = hidden.values_list("pk", flat=True).first()
    return int(found) if found is not None else _missing(model)


# field name → how to find, for one user, an object of that kind they cannot see
REFERENCES: dict[str, Any] = {
    "requester_id": lambda u: _outside(u, User, account_permissions.users),
    "user_id": lambda u: _outside(u, User, account_permissions.users),
    "assignee_id": lambda u: _outside(u, User, account_permissions.users),
    "holder_id": lambda u: _outside(u, User, account_permissions.users),
    "borrower_id": lambda u: _outside(u, User, account_permissions.users),
    "member_ids": lambda u: [_outside(u, User, account_permissions.users)],
    "team_id": lambda u: _missing(Team),
    "category_id": lambda u: 999_999,
    "model_id": lambda u: 999_999,
    "site_id": lambda u: 999_999,
    "supplier_id": lambda u: 999_999,
    "asset_id": lambda u: _outside(u, Asset, asset_permissions.assets),
    "article_id": lambda u: _outside(u, Article, article_policy),
    "original_id": lambda u: 999_999,
    "service_id": lambda u: 999_999,
    "service_ids": lambda u: [999_999],
    # An archived ticket: outside every role's scope (SECURITY.md H3).
    "target": lambda u: Ticket.objects.filter(archived_at__isnull=False).get().reference,
}


# --- The victim and the checks of (a) -----------------------------------------------------------


def _privileged(victim: User, team: Team) -> dict[str, Any]:
    return {
        "role": Role.ADMIN,
        "is_staff": True,
        "is_superuser": True,
        "is_admin": True,
        "is_active": True,
        "reads_archive": True,
        "requester_id": victim.pk,
        "requester": victim.pk,
        "author_id": victim.pk,
        "owner_id": victim.pk,
        "user_id": victim.pk,
        "created_by_id": victim.pk,
        "actor_id": victim.pk,
        "assignee_id": victim.pk,
        "holder_id": victim.pk,
        "borrower_id": victim.pk,
        "team_id": team.pk,
        "internal": True,
        "is_internal": True,
        "status": TicketStatus.CLOSED,
        "archived_at": "2000-01-01T00:00:00Z",
    }


def _referring_columns(target: type[Model]) -> dict[str, list[tuple[type[Model], str]]]:
    """{table: [(model, column)]} of every foreign key to `target` (through tables included)."""
    columns: dict[str, list[tuple[type[Model], str]]] = {}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if isinstance(field, ForeignKey) and field.related_model is target:
                columns.setdefault(model._meta.db_table.lower(), []).append((model, field.attname))
    return columns


def _references_to(target: Model, tables: set[str], columns: dict[str, Any]) -> int:
    """Rows of the tables just written that refer to `target` (a user or a team)."""
    return sum(
        model._base_manager.filter(**{column: target.pk}).count()
        for table in tables
        for model, column in columns.get(table, [])
    )


def _flags() -> list[tuple[Any, ...]]:
    return list(
        User.objects.order_by("pk").values_list("pk", "role", "is_superuser", "reads_archive")
    )


def _closed() -> int:
    return Ticket.objects.filter(status=TicketStatus.CLOSED).count()


def _internal() -> int:
    notes = TicketMessage.objects.filter(kind=MessageKind.NOTE).count()
    return notes + Attachment.objects.filter(is_internal=True).count()


def _json_error(response: Any) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def test_write_operations_ignore_privileged_fields_and_check_every_reference(settings):  # type: ignore[no-untyped-def]
    people, params = route_world.build(settings)
    victim = UserFactory(role=Role.COLLABORATOR, display_name="Victime")
    victim_team = TeamFactory(name="Équipe témoin")
    hidden_world()
    operations = write_operations()
    flags, closed = _flags(), _closed()
    to_user, to_team = _referring_columns(User), _referring_columns(Team)
    failures: list[str] = []
    applied = refused_refs = uploads = internal_tries = 0

    roles = sweep_roles()
    for role in roles:
        user = people[role]
        secret = route_world.token_create(user=user, name="a5", scope=TokenScope.WRITE).secret
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)
        visible = _visible_refs(user)
        internal = _internal()
        for method, path, body, kind in operations:
            if path.endswith("/probers/results"):
                continue  # a remote prober's token only (tests/monitoring)
            url = concrete(path, path, params, user)
            declared = set(body.get("properties", {}))
            refs = visible
            base = plausible_body(body, refs)
            files = file_fields(body)

            def with_files(data: dict[str, Any], files: set[str] = files) -> dict[str, Any]:
                return {**data, **{name: upload_files() for name in files}}

            # (a) privileged fields the operation does not declare
            extra = {k: v for k, v in _privileged(victim, victim_team).items() if k not in declared}
            stored = media_files()
            sid = transaction.savepoint()
            recorder = WriteRecorder()
            try:
                with connection.execute_wrapper(recorder):
                    response = send(client, method, url, with_files({**base, **extra}), kind)
                written = set(recorder.tables)
                status = response.status_code
                where = f"{method} {path} as {role}"
                if status >= 500:
                    failures.append(f"{where}: {status}")
                elif status >= 400:
                    if not _json_error(response):
                        failures.append(f"{where}: {status} without a JSON error")
                else:
                    applied += 1
                    # The upload path ran: the files were stored.
                    uploads += bool(files) and len(media_files() - stored) >= 2
                    if _references_to(victim, written, to_user) or _references_to(
                        victim_team, written, to_team
                    ):
                        failures.append(f"{where}: a privileged field was applied (victim)")
                    if _flags() != flags:
                        failures.append(f"{where}: a role or flag changed")
                    if "status" not in declared and _closed() != closed:
                        failures.append(f"{where}: closed a ticket without a status field")
                    if role == Role.COLLABORATOR and _internal() != internal:
                        failures.append(f"{where}: a requester wrote something internal")
            finally:
                transaction.savepoint_rollback(sid)

            # (a') a requester's declared `internal`, set: refused, or nothing internal written
            if role == Role.COLLABORATOR and declared & INTERNAL:
                sid = transaction.savepoint()
                try:
                    flagged = {**base, **dict.fromkeys(declared & INTERNAL, True)}
                    response = send(client, method, url, with_files(flagged), kind)
                    status = response.status_code
                    where = f"{method} {path} internal=true as {role}"
                    if status >= 500:
                        failures.append(f"{where}: {status}")
                    if not 400 <= status < 500 and _internal() != internal:
                        failures.append(f"{where}: an internal message or file was written")
                finally:
                    transaction.savepoint_rollback(sid)
                internal_tries += 1

            # (b) every declared reference, to an object the caller cannot see
            for field in sorted(declared & set(REFERENCES)):
                recorder = WriteRecorder()
                sid = transaction.savepoint()
                try:
                    tampered = {**base, field: REFERENCES[field](user)}
                    with connection.execute_wrapper(recorder):
                        response = send(client, method, url, with_files(tampered), kind)
                finally:
                    transaction.savepoint_rollback(sid)
                where = f"{method} {path} {field}=<hidden> as {role}"
                refused_refs += 1
                if not 400 <= response.status_code < 500 or not _json_error(response):
                    failures.append(f"{where}: {response.status_code}")
                written = set(recorder.tables) - REFUSAL_WRITES
                if written:
                    failures.append(f"{where}: wrote {sorted(written)}")

    print(
        f"A5 sweep: {applied} writes applied ({uploads} uploads with files), "
        f"{refused_refs} tampered references, {internal_tries} requester posts marked internal"
    )
    assert not failures, "\n".join(failures)
    # The sweep means something: many writes went through with the extra fields ignored,
    # and every reference field of every operation was tampered with as each role.
    assert applied >= 10 * len(roles), applied
    assert refused_refs >= 20 * len(roles), refused_refs
    # The file uploads ran, with real files, as every role.
    assert uploads >= len(roles), uploads
    assert internal_tries >= 1 or Role.COLLABORATOR not in roles, internal_tries


def _dumps(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, default=str)


def test_the_reference_table_covers_every_id_field_of_the_schema():
    """A new write field that names another object must say how (b) tampers with it."""
    ids = re.compile(r"(_id|_ids)$")
    undeclared = sorted(
        {
            name
            for _method, _path, body, _kind in write_operations()
            for name in body.get("properties", {})
            if ids.search(name) and name not in REFERENCES
        }
    )
    assert undeclared == []
