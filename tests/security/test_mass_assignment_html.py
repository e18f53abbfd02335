"""A5, mass assignment and relation tampering, through the HTML forms: the API sweep's two
properties (tests/security/test_mass_assignment.py) for every form that posts to an HTML route
of the registry (tests/permissions/routes.yaml), as every role, on the route world
(tests/route_world.py).

The forms are found by crawling, as each role, every GET page of the registry once and
indexing each <form method=post> by the route its action resolves to (for a page that posts to
itself but shows its form only after a choice, such as the new-ticket page's category, the
page's first GET form is followed once). The plausible body is the form's own: default values,
the first non-empty option of a select, checked boxes as rendered, required empty texts filled
with French text, a small real PNG (and a .txt where several files are allowed) in file
inputs, and the form's CSRF token (the client enforces CSRF, as a browser session does).

(a) The form's body plus the privileged fields it does not declare (role, is_staff,
    reads_archive, requester/requester_id, author, owner, team, assignee, internal, status,
    archived_at…) pointing at a victim person and team that own nothing. When the post
    succeeds (a redirect or a page without a form error): no row written refers to the victim,
    nobody's role or flags changed, no ticket was closed by a form without a status field
    (except the forms whose purpose it is), a requester wrote nothing internal.
(b) Each declared field that refers to another object (REFERENCES below, by field name), set to
    an object of that kind the caller cannot see (outside its policy scope), or a missing id
    where the role sees every object of the kind: a form error (a re-rendered form or an error
    message), 403 or 404, never a success, and nothing written but the session (no file left
    in the media directory either).

Every request (the crawl's GETs too) runs in a savepoint rolled back afterwards and the
client's cookies are put back, so every request meets the same world and the same session.
Every role on SQLite; on PostgreSQL the two ends of the role scale (`sweep_roles()`)."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Model
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import OrgUnit, Site, Team, User
from relais.assets.models import Asset, AssetModel, Supplier
from relais.community.models import Answer, Comment, Notification, Question
from relais.community.permissions import community_policy
from relais.kb.models import Article
from relais.monitoring.models import AllowListEntry, OnCallOverride, OnCallRota, Service
from relais.tickets import permissions as ticket_permissions
from relais.tickets.choices import TicketStatus
from relais.tickets.models import Category, Ticket
from tests import route_world
from tests.factories import TeamFactory, UserFactory
from tests.security.test_mass_assignment import (
    REFERENCES,
    _closed,
    _flags,
    _internal,
    _missing,
    _outside,
    _privileged,
    _references_to,
    _referring_columns,
    hidden_world,
    media_files,
    sweep_roles,
)
from tests.security.test_sweeps import WriteRecorder, signed_in
from tests.test_routes import REGISTRY, concrete, html_routes

pytestmark = pytest.mark.django_db

# What a refused post may still write: the session (its clocks, the flash message).
REFUSAL_WRITES = {"django_session"}
CSRF_FIELD = "csrfmiddlewaretoken"
TEXT = "Balayage A5 : texte de test"
TXT = b"Journal de connexion VPN\n"
PNG = route_world.PNG  # a valid 1x1 PNG (Pillow is not a dependency)


# --- Reading the forms of a page ---------------------------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # an input's type, or select, textarea, submit
    value: str = ""
    required: bool = False
    checked: bool = False
    multiple: bool = False
    accept: str = ""
    maxlength: int = 0
    minimum: str = ""
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)


@dataclass
class HtmlForm:
    page: str
    method: str
    action: str  # path and query
    controls: list[Control] = field(default_factory=list)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.controls)

    @property
    def route_name(self) -> str:
        """The URL name of the route the form posts to ("" outside the HTML routes, or for a
        machine endpoint exempt from CSRF checks)."""
        try:
            match = resolve(urlsplit(self.action).path)
        except Resolver404:
            return ""
        return "" if getattr(match.func, "csrf_exempt", False) else match.view_name

    @property
    def key(self) -> tuple[str, frozenset[str], tuple[str, ...]]:
        """What tells one form from another: its route, its fields and the hidden values that
        are not ids, tokens or the page's address (the configuration page's forms differ by a
        hidden `action`)."""
        hidden = tuple(
            c.value
            for c in self.controls
            if c.kind == "hidden"
            and c.name != CSRF_FIELD
            and not c.value.startswith("/")
            and not _names_object(c.value)
        )
        return (self.route_name, self.names, hidden)


class FormParser(HTMLParser):
    """The forms of a page, with the standard library's parser (controls outside their form,
    through a form= attribute, are not used by Relais's templates)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._text: Control | None = None  # the textarea or option whose text is being read
        self._select: Control | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page, a.get("action", ""))
            parts = urlsplit(action)
            self._form = HtmlForm(
                page=self.page,
                method=a.get("method", "get").lower(),
                action=parts.path + (f"?{parts.query}" if parts.query else ""),
            )
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name", "")
        required, multiple = "required" in a, "multiple" in a
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("image", "reset", "button"):
                return
            maxlength = a.get("maxlength", "")
            self._form.controls.append(
                Control(
                    name=name,
                    kind=kind,
                    value=a.get("value", "on" if kind in ("checkbox", "radio") else ""),
                    checked="checked" in a,
                    accept=a.get("accept", ""),
                    maxlength=int(maxlength) if maxlength.isdigit() else 0,
                    minimum=a.get("min", ""),
                    required=required,
                    multiple=multiple,
                )
            )
        elif tag == "button" and name and a.get("type", "submit").lower() == "submit":
            self._form.controls.append(Control(name=name, kind="submit", value=a.get("value", "")))
        elif tag == "select" and name:
            self._select = Control(name=name, kind="select", required=required, multiple=multiple)
            self._form.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            if "value" in a:
                self._select.options.append((a["value"], "selected" in a))
            else:  # the value is the option's text
                self._text = Control(name="", kind="option", checked="selected" in a)
                self._buffer = []
        elif tag == "textarea" and name:
            self._text = Control(name=name, kind="textarea", required=required)
            self._form.controls.append(self._text)
            self._buffer = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._text is not None and self._text.kind == "textarea":
            self._text.value = "".join(self._buffer).lstrip("\n")
            self._text = None
        elif tag == "option" and self._text is not None and self._text.kind == "option":
            if self._select is not None:
                self._select.options.append(("".join(self._buffer).strip(), self._text.checked))
            self._text = None


def forms_of(page: str, html: str) -> list[HtmlForm]:
    parser = FormParser(page)
    parser.feed(html)
    return parser.forms


ID = re.compile(r"^\d+$")
TICKET_REFERENCE = re.compile(r"^[A-Z]+-\d{4}-\d+$")


def _names_object(value: str) -> bool:
    return bool(ID.match(value) or TICKET_REFERENCE.match(value))


# --- A plausible body ----------------------------------------------------------------------------


def _files(control: Control) -> list[SimpleUploadedFile]:
    """A small real PNG, and a .txt where several files are allowed (or images are not)."""
    txt = SimpleUploadedFile("journal-a5.txt", TXT, "text/plain")
    accept = control.accept.lower()
    if accept and "image" not in accept and ".png" not in accept:
        extension = next((e for e in accept.split(",") if e.strip().startswith(".")), ".txt")
        return [SimpleUploadedFile("journal-a5" + extension.strip(), TXT, "text/plain")]
    png = SimpleUploadedFile("capture-a5.png", PNG, "image/png")
    return [png, txt] if control.multiple else [png]


def _filled(control: Control, user: User) -> str:
    if control.kind == "email":
        return user.email
    if control.kind == "number":
        return control.minimum or "1"
    if control.kind == "date":
        return (timezone.localdate() + timedelta(days=7)).isoformat()
    if control.kind == "datetime-local":
        return (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    if control.kind == "time":
        return "09:00"
    if control.kind == "url":
        return "https://intranet.example.fr/"
    if control.kind == "tel":
        return "01 02 03 04 05"
    if control.kind == "password":
        return "Balayage-A5-mot-de-passe"
    return TEXT[: control.maxlength] if control.maxlength else TEXT


def plausible_body(form: HtmlForm, user: User) -> dict[str, list[Any]]:
    body: dict[str, list[Any]] = {}
    radios: dict[str, list[Control]] = {}
    submitted = False
    for control in form.controls:
        values = body.setdefault(control.name, [])
        if control.kind == "submit":
            if not submitted:  # the first named button, as a click on it sends
                values.append(control.value)
                submitted = True
        elif control.kind == "checkbox":
            if control.checked:
                values.append(control.value)
        elif control.kind == "radio":
            radios.setdefault(control.name, []).append(control)
        elif control.kind == "select":
            chosen = [v for v, selected in control.options if selected and v]
            if not chosen and (not control.multiple or control.required):
                chosen = [v for v, _selected in control.options if v][:1]
            values.extend(chosen)
        elif control.kind == "file":
            values.extend(_files(control))
        elif not control.value and control.kind == "text" and _names_a_ticket(form, control):
            # A ticket typed by reference (link, merge, incident): another ticket the caller sees.
            values.append(_another_ticket(user, form))
        elif control.value or not (control.required or control.kind == "textarea"):
            values.append(control.value)
        else:
            values.append(_filled(control, user))
    for name, group in radios.items():
        checked = [c.value for c in group if c.checked] or [group[0].value]
        body[name] = checked[:1]
    return {name: values for name, values in body.items() if values}


def _names_a_ticket(form: HtmlForm, control: Control) -> bool:
    reference = reference_of(form.route_name, control.name)
    return reference is not None and reference.model is Ticket


def _another_ticket(user: User, form: HtmlForm) -> str:
    """The reference of a ticket the caller sees, other than the one the form is about."""
    visible = ticket_permissions.tickets.scope(user).exclude(status=TicketStatus.CLOSED)
    for reference in visible.order_by("pk").values_list("reference", flat=True):
        if reference not in form.action:
            return str(reference)
    return TEXT


def _fresh(body: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The body with new file objects (a post reads them to the end)."""

    def again(value: Any) -> Any:
        if not isinstance(value, SimpleUploadedFile):
            return value
        name = value.name or "journal-a5.txt"
        content = PNG if name.endswith(".png") else TXT
        return SimpleUploadedFile(name, content, value.content_type or "text/plain")

    return {name: [again(v) for v in values] for name, values in body.items()}


# --- What a form may refer to, and what the caller may not see ---------------------------------


def _archived() -> Ticket:
    return Ticket.objects.filter(archived_at__isnull=False).order_by("pk").get()


def _not_own(model: type[Model], owner: str) -> Callable[[User], int]:
    """Another person's object (a person sees only their own), else a missing id."""

    def hidden(user: User) -> int:
        found = model._base_manager.exclude(**{owner: user}).values_list("pk", flat=True).first()
        return int(found) if found is not None else _missing(model)

    return hidden


def _under_question(model: type[Model], path: str) -> Callable[[User], int]:
    """A post under a question the caller cannot see, else a missing id."""

    def hidden(user: User) -> int:
        visible = community_policy.scope(user).values("pk")
        found = (
            model._base_manager.exclude(**{f"{path}__in": visible})
            .values_list("pk", flat=True)
            .first()
        )
        return int(found) if found is not None else _missing(model)

    return hidden


@dataclass(frozen=True)
class Reference:
    model: type[Model]
    hidden: Callable[[User], Any]  # the value to post: an id, a reference, or a list of them
    # The view ignores a foreign id by design and still succeeds (the asset hook of the ticket
    # form: "an unknown or foreign id is ignored, the ticket is already made"; marking another
    # person's notification read; the bulk form's ticked tickets): then the hidden object must
    # stay as it was and nothing may come to refer to it.
    ignored: bool = False


def _ref(key: str) -> Callable[[User], Any]:
    return REFERENCES[key]


# Form field name → the kind of object it names, and one the caller cannot see. A name that
# means different things in different apps is keyed "app:name" (the URL namespace of the route
# the form posts to): the vote's `target` is an answer, the ticket link's a ticket; the
# knowledge base's feedback `comment` is text, the community's a comment id.
FORM_REFERENCES: dict[str, Reference] = {
    "category": Reference(Category, _ref("category_id")),
    "ticket_category": Reference(Category, _ref("category_id")),
    "model": Reference(AssetModel, _ref("model_id")),
    "asset_models": Reference(AssetModel, lambda u: [_ref("model_id")(u)]),
    "site": Reference(Site, _ref("site_id")),
    "sites": Reference(Site, lambda u: [_ref("site_id")(u)]),
    "supplier": Reference(Supplier, _ref("supplier_id")),
    "org_units": Reference(OrgUnit, lambda u: [_missing(OrgUnit)]),
    "team": Reference(Team, _ref("team_id")),
    "assignee": Reference(User, _ref("assignee_id")),
    "user": Reference(User, _ref("user_id")),
    "services": Reference(Service, _ref("service_ids")),
    "rota": Reference(OnCallRota, lambda u: _missing(OnCallRota)),
    "override": Reference(OnCallOverride, lambda u: _missing(OnCallOverride)),
    "entry": Reference(AllowListEntry, lambda u: _missing(AllowListEntry)),
    "related": Reference(Article, lambda u: [_ref("article_id")(u)]),
    "tickets:asset": Reference(Asset, _ref("asset_id"), ignored=True),
    # The new-ticket form posts to its page's address, ?categorie=<id>, which decides the
    # category (tampered with as a parameter of the action); the hidden field repeats it for a
    # post without the parameter, and is ignored when the parameter is there.
    "tickets:new:categorie": Reference(Category, _ref("category_id")),
    "tickets:new:category": Reference(Category, _ref("category_id"), ignored=True),
    # Tickets: the archived one, outside every role's scope (SECURITY.md H3). The bulk form
    # changes the tickets of the caller's scope among those ticked: an id outside it is
    # dropped (ignored), and must stay untouched.
    "tickets:tickets": Reference(Ticket, lambda u: [_archived().pk], ignored=True),
    "tickets:target": Reference(Ticket, _ref("target")),
    "tickets:into": Reference(Ticket, _ref("target")),
    "monitoring:reference": Reference(Ticket, _ref("target")),
    # Peer help: posts under a question the caller cannot see, else missing ones.
    "community:original": Reference(Question, lambda u: _outside(u, Question, community_policy)),
    "community:answer": Reference(Answer, _under_question(Answer, "question")),
    "community:target": Reference(Answer, _under_question(Answer, "question")),
    "community:comment": Reference(Comment, _under_question(Comment, "question")),
    "community:id": Reference(Notification, _not_own(Notification, "user"), ignored=True),
}
# Fields whose values are digits without naming an object: versions, toggles, scores.
NOT_REFERENCES = {
    "version",
    "following",
    "member",
    "email",
    "granted",
    "major",
    "undo",
    "value",
    "enabled",
}


def reference_of(route_name: str, field_name: str) -> Reference | None:
    """The table's entry for a field of a form posting to `route_name`: by route, by app, then
    by name alone; a prefixed Django form's field ("service-rota") by its own name."""
    namespace = route_name.split(":")[0]
    bare = field_name.rsplit("-", 1)[-1]
    for key in (f"{route_name}:{field_name}", f"{namespace}:{bare}", bare):
        if key in FORM_REFERENCES:
            return FORM_REFERENCES[key]
    return None


# --- The requests ------------------------------------------------------------------------------


ERROR_MARKERS = (b"field__error", b"alert--error", b"message--error")


@contextmanager
def isolated(client: Client) -> Iterator[WriteRecorder]:
    """A request (and the checks that follow it) in a savepoint rolled back afterwards, the
    client's cookies put back: the next request meets the same world and the same session.
    Yields the recorder of the tables written."""
    saved = client.cookies
    client.cookies = copy.deepcopy(saved)
    recorder = WriteRecorder()
    sid = transaction.savepoint()
    try:
        with connection.execute_wrapper(recorder):
            yield recorder
    finally:
        transaction.savepoint_rollback(sid)
        client.cookies = saved


def refused(response: Any) -> bool:
    """A 4xx, an error message, or the form shown again with an error."""
    if 400 <= response.status_code < 500:
        return True
    queued = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    if any(m.level >= message_levels.ERROR for m in queued):
        return True
    return response.status_code == 200 and any(m in response.content for m in ERROR_MARKERS)


def _refused_for(response: Any, field_name: str) -> bool:
    """A form shown again names the tampered field's error (includes/field.html writes it as
    id="id_<field>_error"); a 403, a 404 or an error message says no more, and needs not."""
    if response.status_code not in (200, 400) or not any(
        m in response.content for m in ERROR_MARKERS[:2]
    ):
        return True
    return f'id="id_{field_name}_error"'.encode() in response.content


def _get_forms(client: Client, page: str) -> list[HtmlForm]:
    with isolated(client):
        response = client.get(page)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return []
    return forms_of(page, response.content.decode())


def crawl(
    client: Client, user: User, params: dict[str, Any], extra_pages: list[str]
) -> list[HtmlForm]:
    """Every form posting to an HTML route, found on the GET pages of the registry (and on
    `extra_pages`)."""
    names = html_routes()
    found: list[HtmlForm] = []
    for page in extra_pages:
        found += [f for f in _get_forms(client, page) if f.method == "post"]
    for route, spec in REGISTRY["html"].items():
        if "GET" not in spec:
            continue
        page = concrete(route, names[route], params, user)
        forms = _get_forms(client, page)
        posts = [f for f in forms if f.method == "post"]
        if "POST" in spec and not any(f.route_name == names[route] for f in posts):
            # A page that shows its form after a choice (the new ticket's category): its first
            # GET form, sent with its defaults.
            choice = next(
                (
                    f
                    for f in forms
                    if f.method == "get" and urlsplit(f.action).path == urlsplit(page).path
                ),
                None,
            )
            if choice is not None:
                query = urlencode(plausible_body(choice, user), doseq=True)
                target = urlsplit(choice.action).path + "?" + query
                posts += [f for f in _get_forms(client, target) if f.method == "post"]
        found += posts
    return [f for f in found if f.route_name]


def distinct(forms: list[HtmlForm]) -> list[HtmlForm]:
    """Each form once (the header's logout form is on every page)."""
    seen: set[tuple[str, frozenset[str], tuple[str, ...]]] = set()
    kept = []
    for form in forms:
        if form.key not in seen:
            seen.add(form.key)
            kept.append(form)
    return kept


# --- (a) --------------------------------------------------------------------------------------

# Form names and *_id names of the privileged fields.
FORM_NAMES = (
    "requester",
    "author",
    "owner",
    "user",
    "assignee",
    "holder",
    "borrower",
    "created_by",
)
# Forms whose purpose is what (a) looks for: closing tickets, granting a flag.
CLOSES = {"tickets:close", "tickets:merge"}
SETS_FLAGS = {"accounts:archive_reader_set"}


def privileged(victim: User, team: Team) -> dict[str, Any]:
    fields = _privileged(victim, team)
    fields.update(dict.fromkeys(FORM_NAMES, victim.pk))
    fields["team"] = team.pk
    return {k: str(v) for k, v in fields.items()}


@dataclass
class World:
    people: dict[str, User]
    params: dict[str, Any]
    victim: User
    victim_team: Team
    # Pages outside the registry's GET routes' objects, whose forms the crawl reads too.
    extra_pages: list[str]


def setup_world(settings: Any) -> World:
    """The route world, the victim, the hidden objects, and the states that show the forms
    the route world's objects do not: a resolved ticket (close, reopen, rate, to an article),
    the lent headset's page (its return), each person's API token (its revocation)."""
    from relais.accounts.services import token_create
    from relais.tickets.choices import Level
    from relais.tickets.services import TicketDraft, ticket_open, ticket_update

    people, params = route_world.build(settings)
    victim = UserFactory(role=Role.COLLABORATOR, display_name="Victime")
    victim_team = TeamFactory(name="Équipe témoin")
    hidden_world()
    collaborator, agent = people[Role.COLLABORATOR], people[Role.AGENT]
    world_ticket = Ticket.objects.get(reference=params["*"]["reference"])
    resolved = ticket_open(
        actor=collaborator,
        draft=TicketDraft(
            category=world_ticket.category,
            title="Messagerie inaccessible",
            description="Depuis la mise à jour.",
            impact=Level.LOW,
            urgency=Level.LOW,
        ),
    )
    ticket_update(
        ticket=resolved,
        actor=agent,
        changes={"status": TicketStatus.RESOLVED, "resolution": "Cache vidé."},
        expected_version=None,
    )
    for person in people.values():
        token_create(user=person, name="Balayage A5")
    extra_pages = [f"/demandes/{resolved.reference}/", f"/parc/{params['assets:lend']['pk']}/"]
    return World(people, params, victim, victim_team, extra_pages)


def test_html_forms_ignore_privileged_fields_and_check_every_reference(settings):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    world = setup_world(settings)
    people, params, victim, victim_team = (
        world.people,
        world.params,
        world.victim,
        world.victim_team,
    )
    extra_fields = privileged(victim, victim_team)
    flags, closed = _flags(), _closed()
    to_user, to_team = _referring_columns(User), _referring_columns(Team)
    failures: list[str] = []
    counts: dict[str, tuple[int, ...]] = {}
    reached: set[str] = set()

    roles = sweep_roles()
    for role in roles:
        user = people[role]
        client = signed_in(user, csrf=True)
        client.get("/")  # the session's clocks and the CSRF cookie
        forms = distinct(crawl(client, user, params, world.extra_pages))
        internal = _internal()
        applied = tampered = decisive = uploads = 0
        for form in forms:
            name = form.route_name
            reached.add(name)
            body = plausible_body(form, user)
            declared = form.names

            # (a) privileged fields the form does not declare
            extra = {k: [v] for k, v in extra_fields.items() if k not in declared}
            where = f"POST {form.action} ({name}) as {role}"
            stored = media_files()
            accepted = False
            with isolated(client) as recorder:
                response = client.post(form.action, {**_fresh(body), **extra})
                if response.status_code >= 500 or response.status_code == 429:
                    failures.append(f"{where}: {response.status_code}")
                elif not refused(response):
                    applied += 1
                    accepted = True
                    # The upload path ran: the form's files were stored.
                    if any(c.kind == "file" for c in form.controls) and media_files() - stored:
                        uploads += 1
                    written = set(recorder.tables)
                    if _references_to(victim, written, to_user) or _references_to(
                        victim_team, written, to_team
                    ):
                        failures.append(f"{where}: a privileged field was applied (victim)")
                    if _flags() != flags and name not in SETS_FLAGS:
                        failures.append(f"{where}: a role or flag changed")
                    if "status" not in declared and _closed() != closed and name not in CLOSES:
                        failures.append(f"{where}: closed a ticket without a status field")
                    if role == Role.COLLABORATOR and _internal() != internal:
                        failures.append(f"{where}: a requester wrote something internal")

            # (b) every declared reference (a field, or a parameter of the form's action), to
            # an object the caller cannot see
            query = parse_qs(urlsplit(form.action).query)
            for field_name in sorted(declared | set(query)):
                reference = reference_of(name, field_name)
                if reference is None:
                    continue
                value = reference.hidden(user)
                values = value if isinstance(value, list) else [value]
                where = f"POST {form.action} ({name}) {field_name}={values} (hidden) as {role}"
                tampered += 1
                decisive += accepted  # the same form without the tampering goes through
                before_files = media_files()
                before = _state_of(reference.model, values) if reference.ignored else None
                action, data = form.action, {**_fresh(body), field_name: values}
                if field_name in query:
                    action = (
                        urlsplit(form.action).path
                        + "?"
                        + urlencode({**query, field_name: values}, doseq=True)
                    )
                    data = _fresh(body)
                with isolated(client) as recorder:
                    response = client.post(action, data)
                    status = response.status_code
                    if status >= 500 or status == 429:
                        failures.append(f"{where}: {status}")
                    elif reference.ignored:
                        if _state_of(reference.model, values) != before:
                            failures.append(f"{where}: the hidden object was changed or named")
                    else:
                        if not refused(response):
                            failures.append(f"{where}: accepted ({status})")
                        elif not _refused_for(response, field_name):
                            failures.append(f"{where}: refused, but not for this field")
                        written = set(recorder.tables) - REFUSAL_WRITES
                        if written:
                            failures.append(f"{where}: wrote {sorted(written)}")
                if not reference.ignored and media_files() - before_files:
                    failures.append(f"{where}: left a file in the media directory")
        counts[role] = (len(forms), applied, tampered, decisive, uploads)

    seconds = time.monotonic() - started
    print(
        f"A5 HTML sweep ({connection.vendor}, {seconds:.0f} s): "
        + ", ".join(
            f"{role}: {n} forms, {a} posts applied ({u} with files stored), {t} tampered "
            f"references ({d} in forms that go through untampered)"
            for role, (n, a, t, d, u) in counts.items()
        )
    )
    names = html_routes()
    posts = {names[route] for route, spec in REGISTRY["html"].items() if "POST" in spec}
    print(f"POST routes reached through a form: {len(reached & posts)} of {len(posts)}")
    print("not reached: " + " ".join(sorted(posts - reached)))
    assert not failures, "\n".join(failures)
    # The crawl keeps finding the forms (73 of 92 POST routes when written): a page that stops
    # showing its form, or a parser that stops reading one, must not shrink the sweep unseen.
    assert len(reached & posts) >= 70, sorted(posts - reached)
    # The sweep means something: for every role, forms were posted and accepted with the extra
    # fields ignored (uploads among them), and references tampered with in forms that go
    # through otherwise.
    for role, (n, a, t, d, u) in counts.items():
        assert n >= 25 and a >= 20 and t >= 10 and d >= 8 and u >= 1, (role, n, a, t, d, u)


def _state_of(model: type[Model], pks: list[Any]) -> tuple[Any, ...]:
    """The hidden objects' rows and every row referring to them."""
    ids = [pk for pk in pks if isinstance(pk, int)]
    rows = list(model._base_manager.filter(pk__in=ids).order_by("pk").values())
    referring = sum(
        m._base_manager.filter(**{f"{column}__in": ids}).count()
        for columns in _referring_columns(model).values()
        for m, column in columns
    )
    return (rows, referring)


def id_valued(form: HtmlForm) -> set[str]:
    """The fields of a form whose values name objects: selects and checkbox groups offering ids,
    hidden inputs holding an id or a ticket reference."""
    names = set()
    for control in form.controls:
        if control.kind == "select":
            values = [v for v, _selected in control.options if v]
            if values and all(ID.match(v) for v in values):
                names.add(control.name)
        elif control.kind in ("hidden", "checkbox") and _names_object(control.value):
            names.add(control.name)
    return names


def test_the_reference_table_covers_every_id_field_of_the_forms(settings):  # type: ignore[no-untyped-def]
    """A form field that names another object must say how (b) tampers with it."""
    world = setup_world(settings)
    people, params = world.people, world.params
    uncovered: dict[str, set[str]] = {}
    seen = 0
    for role in sweep_roles():
        client = signed_in(people[role], csrf=True)
        client.get("/")
        for form in crawl(client, people[role], params, world.extra_pages):
            seen += 1
            for name in id_valued(form) - NOT_REFERENCES:
                if reference_of(form.route_name, name) is None:
                    uncovered.setdefault(name, set()).add(form.route_name)
    assert seen >= 40
    assert uncovered == {}
