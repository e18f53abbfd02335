from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from relais.accounts.models import Team, User
from relais.accounts.selectors import current_user
from relais.core.api import ApiError, ErrorOut, Page
from relais.core.files import file_response
from relais.tickets import permissions, selectors, services
from relais.tickets.choices import Channel, Level, LinkKind, Priority, TicketStatus, TicketType
from relais.tickets.config import desk_config
from relais.tickets.filters import ORDERINGS, TicketFilterForm
from relais.tickets.models import Category, Satisfaction, Ticket, TicketLink

router = Router(tags=["tickets"])


class PersonOut(Schema):
    id: int
    display_name: str


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    default_type: TicketType
    extra_fields: list[dict[str, Any]]


class TicketOut(Schema):
    reference: str
    type: TicketType
    title: str
    category: CategoryOut
    status: TicketStatus
    priority: Priority
    impact: Level
    urgency: Level
    channel: Channel
    requester: PersonOut
    team_id: int | None
    assignee: PersonOut | None
    is_major: bool
    parent_reference: str | None = Field(None, alias="parent.reference")
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    version: int


class TicketSummaryOut(Schema):
    """One row of a ticket list: flat, so that a page of 100 serialises quickly."""

    reference: str
    type: TicketType
    title: str
    status: TicketStatus
    priority: Priority
    category_id: int
    category_name: str
    requester_id: int
    requester_name: str
    team_id: int | None
    assignee_id: int | None
    assignee_name: str | None
    is_major: bool
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    version: int


def _summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "type": ticket.type,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "category_id": ticket.category_id,
        "category_name": str(ticket.category),
        "requester_id": ticket.requester_id,
        "requester_name": ticket.requester.display_name,
        "team_id": ticket.team_id,
        "assignee_id": ticket.assignee_id,
        "assignee_name": ticket.assignee.display_name if ticket.assignee else None,
        "is_major": ticket.is_major,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_due": ticket.first_response_due,
        "resolution_due": ticket.resolution_due,
        "first_response_breached": ticket.first_response_breached,
        "resolution_breached": ticket.resolution_breached,
        "version": ticket.version,
    }


class SummaryPage(Page):
    """Pagination that hands plain dicts to the schema (no ORM attribute resolution)."""

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = [_summary(t) for t in selectors.with_list_relations(page["items"])]
        return page


class TicketDetailOut(TicketOut):
    description: str
    extra: dict[str, Any]
    resolution: str
    contact_name: str
    contact_phone: str


class TicketIn(Schema):
    category_id: int
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., min_length=1, max_length=50_000)
    impact: Level = Level.MEDIUM
    urgency: Level = Level.MEDIUM
    type: TicketType | None = None
    extra: dict[str, str] = Field(default_factory=dict)
    requester_id: int | None = Field(None, description="Desk only: open for someone else.")
    contact_name: str = Field("", max_length=150)
    contact_phone: str = Field("", max_length=32)
    channel: Literal["portal", "phone", "walk_in", "api"] = "api"


class TicketPatch(Schema):
    version: int | None = Field(None, description="The version you read; a stale one is 409.")
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, min_length=1, max_length=50_000)
    category_id: int | None = None
    type: TicketType | None = None
    impact: Level | None = None
    urgency: Level | None = None
    status: TicketStatus | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    resolution: str | None = Field(None, max_length=10_000)
    tags: list[str] | None = None


class MessageIn(Schema):
    body: str = Field(..., min_length=1, max_length=50_000)


class AttachmentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    created_at: datetime


class MessageOut(Schema):
    id: int
    kind: str
    author: PersonOut | None
    body: str
    channel: str
    created_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Any) -> list[Any]:
        return list(obj.attachments.all())


class EventOut(Schema):
    kind: str
    actor_id: int | None
    channel: str
    field: str
    old_value: Any
    new_value: Any
    created_at: datetime


class SatisfactionIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=2000)


class SatisfactionOut(Schema):
    rating: int
    comment: str
    created_at: datetime


class TicketFilters(Schema):
    queue: Literal["mine", "team", "unassigned", "breaching", "all"] | None = None
    status: list[TicketStatus] = Field(default_factory=list)
    open: bool | None = None
    priority: list[Priority] = Field(default_factory=list)
    type: TicketType | None = None
    category: int | None = None
    team: int | None = None
    assignee: int | None = None
    requester: int | None = None
    direction: int | None = None
    site: int | None = None
    created_from: str | None = None
    created_to: str | None = None
    q: str | None = Field(None, max_length=200)
    ordering: Literal[tuple(ORDERINGS)] | None = None  # type: ignore[valid-type]


_user = current_user


def _ticket(request: HttpRequest, reference: str) -> Ticket:
    return selectors.ticket_detail(viewer=request.user, reference=reference)


def _etag(ticket: Ticket) -> str:
    return f'"v{ticket.version}"'


@router.get("/categories", response=list[CategoryOut], summary="The category tree")
def list_categories(request: HttpRequest) -> list[Category]:
    return selectors.category_tree()


@router.get(
    "/tickets",
    response={200: list[TicketSummaryOut], 400: ErrorOut},
    summary="Tickets the caller may see, with the agent list's filters",
)
@paginate(SummaryPage)
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> Any:
    # `filters` documents and type-checks the parameters; the one filter definition shared
    # with the HTML queue (TicketFilterForm) applies them and refuses unknown ones.
    form = TicketFilterForm(request.GET)
    if not form.is_valid():
        raise ValidationError(
            form.errors.as_data().get("__all__", [])
            or [f"{name}: {errs[0]}" for name, errs in form.errors.items()]
        )
    return selectors.ticket_list(viewer=request.user, filters=form.cleaned_data)


@router.post("/tickets", response={201: TicketDetailOut, 400: ErrorOut, 403: ErrorOut})
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status:
    user = _user(request)
    category = desk_config().categories.get(payload.category_id)
    if category is None or not category.is_active:
        raise ValidationError({"category_id": "Unknown category."})
    requester: User | None = user
    if payload.requester_id is not None and payload.requester_id != user.pk:
        if not permissions.is_desk(user):
            raise PermissionDenied
        requester = User.objects.filter(pk=payload.requester_id, is_active=True).first()
        if requester is None:
            raise ValidationError({"requester_id": "Unknown person."})
    channel = Channel(payload.channel) if permissions.is_desk(user) else Channel.API
    ticket = services.ticket_open(
        actor=user,
        requester=requester,
        channel=channel,
        draft=services.TicketDraft(
            category=category,
            title=payload.title,
            description=payload.description,
            impact=payload.impact,
            urgency=payload.urgency,
            type=payload.type,
            extra=payload.extra,
            contact_name=payload.contact_name,
            contact_phone=payload.contact_phone,
        ),
    )
    return Status(201, _ticket(request, ticket.reference))


@router.get("/tickets/{reference}", response={200: TicketDetailOut, 404: ErrorOut})
def get_ticket(request: HttpRequest, reference: str, response: HttpResponse) -> Ticket:
    ticket = _ticket(request, reference)
    response["ETag"] = _etag(ticket)
    return ticket


@router.patch(
    "/tickets/{reference}",
    response={
        200: TicketDetailOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        412: ErrorOut,
    },
    summary="Change a ticket (desk). Send If-Match with the ETag, or `version`.",
)
def update_ticket(
    request: HttpRequest, reference: str, payload: TicketPatch, response: HttpResponse
) -> Ticket:
    user = _user(request)
    ticket = _ticket(request, reference)
    if not permissions.tickets.can(user, "update", ticket):
        raise PermissionDenied
    data = payload.model_dump(exclude_unset=True)
    if_match = request.headers.get("If-Match")
    expected = data.pop("version", None)
    if if_match is not None:
        if if_match.strip() != _etag(ticket):
            raise ApiError(412, "The ticket changed since you read it.", "precondition_failed")
        expected = ticket.version
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name == "category_id":
            category = Category.objects.filter(pk=value, is_active=True).first()
            if category is None:
                raise ValidationError({"category_id": "Unknown category."})
            changes["category"] = category
        elif name == "team_id":
            team = Team.objects.filter(pk=value).first() if value is not None else None
            if value is not None and team is None:
                raise ValidationError({"team_id": "Unknown team."})
            changes["team"] = team
        elif name == "assignee_id":
            assignee = User.objects.filter(pk=value).first() if value is not None else None
            if value is not None and assignee is None:
                raise ValidationError({"assignee_id": "Unknown agent."})
            changes["assignee"] = assignee
        elif value is not None:
            changes[name] = value
    try:
        updated = services.ticket_update(
            ticket=ticket,
            actor=user,
            changes=changes,
            expected_version=expected,
            channel=Channel.API,
        )
    except services.ConflictError as conflict:
        code = 412 if if_match is not None else 409
        raise ApiError(
            code,
            f"The ticket is now at version {conflict.ticket.version}; "
            "read it again and re-apply your change.",
            "precondition_failed" if code == 412 else "conflict",
        ) from conflict
    fresh = _ticket(request, updated.reference)
    response["ETag"] = _etag(fresh)
    return fresh


@router.get(
    "/tickets/{reference}/messages",
    response={200: list[MessageOut], 404: ErrorOut},
    summary="Public replies (and internal notes for the desk)",
)
@paginate(Page)
def list_messages(request: HttpRequest, reference: str) -> Any:
    ticket = _ticket(request, reference)
    return selectors.ticket_messages(viewer=request.user, ticket=ticket)


def _post_message(request: HttpRequest, reference: str, body: str, internal: bool) -> Status:
    ticket = _ticket(request, reference)
    message = services.ticket_reply(
        ticket=ticket, actor=_user(request), body=body, internal=internal, channel=Channel.API
    )
    return Status(
        201, selectors.ticket_messages(viewer=request.user, ticket=ticket).get(pk=message.pk)
    )


@router.post(
    "/tickets/{reference}/replies",
    response={201: MessageOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def post_reply(request: HttpRequest, reference: str, payload: MessageIn) -> Status:
    return _post_message(request, reference, payload.body, internal=False)


@router.post(
    "/tickets/{reference}/notes",
    response={201: MessageOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Internal note (desk only)",
)
def post_note(request: HttpRequest, reference: str, payload: MessageIn) -> Status:
    ticket = _ticket(request, reference)
    if not permissions.tickets.can(_user(request), "note", ticket):
        raise PermissionDenied
    return _post_message(request, reference, payload.body, internal=True)


@router.get("/tickets/{reference}/attachments", response={200: list[AttachmentOut], 404: ErrorOut})
def list_attachments(request: HttpRequest, reference: str) -> Any:
    ticket = _ticket(request, reference)
    return list(selectors.ticket_attachments(viewer=request.user, ticket=ticket))


@router.get(
    "/tickets/{reference}/attachments/{attachment_id}/content",
    response={200: None, 404: ErrorOut},
    summary="Download one attachment's bytes (served like the web page's download link)",
)
def download_attachment(request: HttpRequest, reference: str, attachment_id: int) -> Any:
    ticket = _ticket(request, reference)
    attachment = get_object_or_404(
        selectors.ticket_attachments(viewer=request.user, ticket=ticket), pk=attachment_id
    )
    return file_response(
        (attachment.storage_name, attachment.original_name, attachment.content_type)
    )


@router.post(
    "/tickets/{reference}/attachments",
    response={201: MessageOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Add files with an optional message (multipart/form-data)",
)
def post_attachments(
    request: HttpRequest,
    reference: str,
    files: File[list[UploadedFile]],
    body: Form[str] = "",
    internal: Form[bool] = False,
) -> Status:
    ticket = _ticket(request, reference)
    message = services.ticket_reply(
        ticket=ticket,
        actor=_user(request),
        body=body,
        internal=internal,
        channel=Channel.API,
        attachments=files,
    )
    return Status(
        201, selectors.ticket_messages(viewer=request.user, ticket=ticket).get(pk=message.pk)
    )


@router.get("/tickets/{reference}/history", response={200: list[EventOut], 404: ErrorOut})
@paginate(Page)
def list_history(request: HttpRequest, reference: str) -> Any:
    ticket = _ticket(request, reference)
    return selectors.ticket_history(viewer=request.user, ticket=ticket)


@router.put(
    "/tickets/{reference}/satisfaction",
    response={200: SatisfactionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def rate_ticket(request: HttpRequest, reference: str, payload: SatisfactionIn) -> Satisfaction:
    ticket = _ticket(request, reference)
    return services.ticket_rate(
        ticket=ticket, actor=_user(request), rating=payload.rating, comment=payload.comment
    )


@router.get("/tickets/{reference}/satisfaction", response={200: SatisfactionOut, 404: ErrorOut})
def get_rating(request: HttpRequest, reference: str) -> Satisfaction:
    ticket = _ticket(request, reference)
    satisfaction = Satisfaction.objects.filter(ticket=ticket).first()
    if satisfaction is None:
        raise Http404
    return satisfaction


class LinkIn(Schema):
    target: str = Field(..., max_length=20, description="The other ticket's reference")
    kind: LinkKind = LinkKind.RELATED


class LinkOut(Schema):
    source: str = Field(..., alias="source.reference")
    target: str = Field(..., alias="target.reference")
    kind: LinkKind
    created_at: datetime


class WatcherIn(Schema):
    user_id: int


@router.get("/tickets/{reference}/links", response={200: list[LinkOut], 404: ErrorOut})
def list_links(request: HttpRequest, reference: str) -> list[TicketLink]:
    ticket = _ticket(request, reference)
    if not permissions.is_desk(request.user):
        return []
    return selectors.ticket_links(ticket=ticket)


@router.post(
    "/tickets/{reference}/links",
    response={201: LinkOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def create_link(request: HttpRequest, reference: str, payload: LinkIn) -> Status:
    ticket = _ticket(request, reference)
    target = _ticket(request, payload.target.strip().upper())
    link = services.ticket_link(
        source=ticket, target=target, actor=_user(request), kind=payload.kind
    )
    return Status(201, link)


@router.post(
    "/tickets/{reference}/watchers",
    response={204: None, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def add_watcher(request: HttpRequest, reference: str, payload: WatcherIn) -> Status:
    ticket = _ticket(request, reference)
    watcher = User.objects.filter(pk=payload.user_id, is_active=True).first()
    if watcher is None:
        raise ValidationError({"user_id": "Unknown person."})
    services.ticket_watch(ticket=ticket, actor=_user(request), watcher=watcher)
    return Status(204, None)


# --- Saved queue views (their owner's only) ------------------------------------------------------


class SavedViewOut(Schema):
    id: int
    name: str
    query: str
    created_at: datetime


class SavedViewIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    query: str = Field("", max_length=1000, description="The queue's filters, as a query string")


class SavedViewPatch(Schema):
    name: str = Field(..., min_length=1, max_length=80)


@router.get("/saved-views", response={200: list[SavedViewOut], 404: ErrorOut})
def list_saved_views(request: HttpRequest) -> Any:
    if not permissions.saved_views.can(request.user, "list"):
        raise Http404
    return list(permissions.saved_views.scope(request.user, "list"))


@router.post("/saved-views", response={201: SavedViewOut, 400: ErrorOut, 404: ErrorOut})
def create_saved_view(request: HttpRequest, payload: SavedViewIn) -> Status:
    if not permissions.saved_views.can(request.user, "create"):
        raise Http404
    view = services.saved_view_save(owner=_user(request), name=payload.name, query=payload.query)
    return Status(201, view)


@router.get("/saved-views/{view_id}", response={200: SavedViewOut, 404: ErrorOut})
def get_saved_view(request: HttpRequest, view_id: int) -> Any:
    return permissions.saved_views.get_or_404(request.user, view_id)


@router.patch("/saved-views/{view_id}", response={200: SavedViewOut, 400: ErrorOut, 404: ErrorOut})
def rename_saved_view(request: HttpRequest, view_id: int, payload: SavedViewPatch) -> Any:
    view = permissions.saved_views.get_or_404(request.user, view_id)
    return services.saved_view_rename(view=view, name=payload.name)


@router.delete("/saved-views/{view_id}", response={204: None, 404: ErrorOut})
def delete_saved_view(request: HttpRequest, view_id: int) -> Status:
    view = permissions.saved_views.get_or_404(request.user, view_id)
    services.saved_view_delete(view=view)
    return Status(204, None)


# --- The intermediate archive (archive readers only, read-only) ---------------------------------


class ArchivedTicketOut(Schema):
    reference: str
    type: TicketType
    title: str
    category_id: int
    category_name: str
    status: TicketStatus
    priority: Priority
    requester: PersonOut
    created_at: datetime
    closed_at: datetime | None
    archived_at: datetime

    @staticmethod
    def resolve_category_name(obj: Any) -> str:
        return obj["category_name"] if isinstance(obj, dict) else str(obj.category.name)


class ArchivedMessageOut(Schema):
    id: int
    kind: str
    author: PersonOut | None
    body: str
    channel: str
    created_at: datetime


class ArchivedTicketDetailOut(ArchivedTicketOut):
    description: str
    resolution: str
    messages: list[ArchivedMessageOut]
    history: list[EventOut]
    attachments: list[AttachmentOut]


@router.get(
    "/archive/tickets",
    response={200: list[ArchivedTicketOut], 404: ErrorOut},
    summary="Archived tickets (archive readers only; 404 for everyone else)",
)
@paginate(Page)
def list_archived_tickets(request: HttpRequest, q: str = "") -> Any:
    if not permissions.archive.can(request.user, "list"):
        raise Http404
    return selectors.archive_list(viewer=request.user, reference=q.strip()[:20])


@router.get(
    "/archive/tickets/{reference}",
    response={200: ArchivedTicketDetailOut, 404: ErrorOut},
    summary="One archived ticket with its whole record (each reading is in the security log)",
)
def get_archived_ticket(request: HttpRequest, reference: str) -> dict[str, Any]:
    ticket = selectors.archive_ticket(viewer=request.user, reference=reference)
    services.ticket_archive_read(ticket=ticket, reader=_user(request), request=request)
    thread, history, files = selectors.archive_record(ticket=ticket)
    return {
        "reference": ticket.reference,
        "type": ticket.type,
        "title": ticket.title,
        "category_id": ticket.category_id,
        "category_name": ticket.category.name,
        "status": ticket.status,
        "priority": ticket.priority,
        "requester": ticket.requester,
        "created_at": ticket.created_at,
        "closed_at": ticket.closed_at,
        "archived_at": ticket.archived_at,
        "description": ticket.description,
        "resolution": ticket.resolution,
        "messages": thread,
        "history": history,
        "attachments": files,
    }
