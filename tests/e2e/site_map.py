"""Every HTML page of Relais, read from the URL resolver and filled with real objects.

`pages_for(user)` walks `get_resolver()` and turns each route into a concrete path with
objects `user` may see (a collaborator gets their own ticket, an agent one of their
queues…). A route whose parameters this module cannot fill fails `unmapped_routes()`: a new
page is covered as soon as it exists, or the test says what to add here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from relais.accounts.models import User


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name, e.g. "tickets:detail"
    params: tuple[str, ...]


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(patterns: list[Any], namespaces: list[str]) -> None:
        for entry in patterns:
            prefix = str(entry.pattern)
            if isinstance(entry, URLResolver):
                if prefix.startswith(("api/", "django-admin/")):
                    continue
                inner = [entry.namespace] if entry.namespace else []
                walk(entry.url_patterns, [*namespaces, *inner])
            elif isinstance(entry, URLPattern) and entry.name:
                params = tuple(entry.pattern.converters)  # type: ignore[attr-defined]
                found.append(Route(":".join([*namespaces, entry.name]), params))

    walk(get_resolver().url_patterns, [])
    return found


# Routes that answer no HTML page of their own, with the reason. Each is still reached
# somewhere else (route tests, API tests, the e-mail or file tests).
NOT_PAGES: dict[str, str] = {
    "core:healthz": "JSON probe",
    "core:readyz": "JSON probe",
    "core:metrics": "Prometheus text",
    "core:outbox_requeue": "POST action",
    "accounts:logout": "POST action",
    "accounts:token_revoke": "POST action",
    "accounts:language": "POST action",
    "accounts:otp_reset": "POST action",
    "accounts:archive_reader_set": "POST action",
    "accounts:personal_data_export": "POST action",
    "accounts:personal_data_erase": "POST action",
    "accounts:personal_data_download": "file download (JSON archive)",
    "accounts:oidc_login": "redirect to the identity provider (404 when SSO is off)",
    "accounts:oidc_callback": "return from the identity provider",
    "accounts:otp_verify": "second-factor page, checked in test_second_factor.py",
    "accounts:otp_setup": "second-factor page, checked in test_second_factor.py",
    "tickets:reply": "POST action",
    "tickets:edit": "POST action",
    "tickets:reopen": "POST action",
    "tickets:close": "POST action",
    "tickets:rate": "POST action",
    "tickets:flag_major": "POST action",
    "tickets:join_major": "POST action",
    "tickets:merge": "POST action",
    "tickets:add_watcher": "POST action",
    "tickets:add_link": "POST action",
    "tickets:attachment": "file download",
    "tickets:saved_view_create": "POST action",
    "tickets:saved_view_delete": "POST action",
    "tickets:bulk": "POST action",
    "kb:move": "POST action",
    "kb:feedback": "POST action",
    "kb:image_add": "POST action",
    "kb:image": "image file",
    "kb:from_ticket": "POST action",
    "search:suggest": "HTML fragment fetched by the search box (keyboard test)",
    "search:deflect": "POST action",
    "community:answer": "POST action",
    "community:comment": "POST action",
    "community:vote": "POST action",
    "community:follow": "POST action",
    "community:accept": "POST action",
    "community:tag_follow": "POST action",
    "community:flag": "POST action",
    "community:moderate": "POST action",
    "community:duplicate": "POST action",
    "community:to_ticket": "POST action",
    "community:flag_decide": "POST action",
    "community:to_article": "POST action",
    "mail:raw": "raw .eml download",
    "mail:release": "POST action",
    "mail:discard": "POST action",
    "mail:replay": "POST action",
    "assets:export": "CSV/XLSX download",
    "assets:move": "POST action",
    "assets:lend": "POST action",
    "assets:attach": "POST action",
    "assets:attachment": "file download",
    "assets:loan_return": "POST action",
    "assets:campaign_export": "CSV/XLSX download",
    "assets:campaign_close": "POST action",
    "assets:campaign_target": "POST action",
    "assets:readiness_export": "CSV/XLSX download",
    "assets:remote_access": "POST action",
    "monitoring:public_json": "JSON",
    "monitoring:public_feed": "Atom feed",
    "monitoring:public_feed_rss": "RSS feed",
    "monitoring:public_badge": "SVG image",
    "monitoring:public_uptime_badge": "SVG image",
    "monitoring:public_history": "JSON",
    "monitoring:public_service_feed": "Atom feed",
    "monitoring:public_service_feed_rss": "RSS feed",
    "monitoring:heartbeat": "heartbeat URL for scheduled jobs (plain text)",
    "monitoring:affected": "POST action",
    "reports:export": "CSV/XLSX download",
}


def _first(qs: QuerySet[Any]) -> Model | None:
    return qs.order_by("pk").first()


def _pk(obj: Model | None, name: str = "pk") -> dict[str, Any] | None:
    return None if obj is None else {name: obj.pk}


def _ticket(user: User) -> Any:
    from relais.tickets.models import Ticket
    from relais.tickets.permissions import tickets

    own = _first(Ticket.objects.filter(requester=user))
    return own or _first(tickets.scope(user))


def _question(user: User) -> Any:
    from relais.community.models import Question
    from relais.community.permissions import community_policy

    mine = _first(Question.objects.filter(author=user, answers__isnull=False).distinct())
    return mine or _first(community_policy.scope(user).filter(answers__isnull=False).distinct())


def _answer(user: User) -> Any:
    from relais.community.models import Answer

    question = _question(user)
    if question is None:
        return None
    mine = _first(Answer.objects.filter(question=question, author=user))
    return mine or _first(Answer.objects.filter(question=question))


def _article(user: User) -> Any:
    from relais.kb.permissions import article_policy

    return _first(article_policy.scope(user))


def _model(model_path: str) -> Any:
    from django.apps import apps

    return apps.get_model(model_path)


def _first_of_model(model_path: str) -> Model | None:
    from django.apps import apps

    return _first(apps.get_model(model_path).objects.all())


def _first_of(model_path: str) -> Callable[[User], dict[str, Any] | None]:
    return lambda user: _pk(_first_of_model(model_path))


def _other_person(user: User) -> dict[str, Any] | None:
    other = _first(User.objects.filter(is_active=True).exclude(pk=user.pk))
    return _pk(other, "user_id")


def _member(user: User) -> dict[str, Any] | None:
    from relais.community.models import Member

    found = Member.objects.filter(user=user).first() or _first(Member.objects.all())
    return None if found is None else {"user_id": found.user_id}  # type: ignore[attr-defined]


def _reset_link(user: User) -> dict[str, Any]:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    person = User.objects.get(email="collaborateur@relais.test")
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
        "token": default_token_generator.make_token(person),
    }


def _subscription(user: User) -> dict[str, Any] | None:
    from relais.monitoring.models import Subscription

    found = _first(Subscription.objects.all())
    return None if found is None else {"token": found.token}  # type: ignore[attr-defined]


def _alert(user: User) -> dict[str, Any] | None:
    from relais.monitoring.models import Alert

    found = _first(Alert.objects.all())
    return None if found is None else {"token": found.ack_token}  # type: ignore[attr-defined]


def _original_mail(user: User) -> dict[str, Any] | None:
    from relais.mail.models import InboundMessage

    found = _first(InboundMessage.objects.filter(ticket__isnull=False))
    if found is None:
        return None
    return {"reference": found.ticket.reference, "inbound_id": found.pk}  # type: ignore[attr-defined]


KWARGS: dict[str, Callable[[User], dict[str, Any] | None]] = {
    "accounts:password_reset_confirm": _reset_link,
    "accounts:user_detail": _other_person,
    "tickets:detail": lambda user: (
        None if (t := _ticket(user)) is None else {"reference": t.reference}
    ),
    "kb:detail": lambda user: _pk(_article(user)),
    "kb:edit": lambda user: _pk(_article(user)),
    "kb:history": lambda user: _pk(_article(user)),
    "community:question": lambda user: _pk(_question(user)),
    "community:edit": lambda user: _pk(_question(user)),
    "community:history": lambda user: _pk(_question(user)),
    "community:answer_edit": lambda user: _pk(_answer(user), "answer_id"),
    "community:answer_history": lambda user: _pk(_answer(user), "answer_id"),
    "community:member": _member,
    "mail:detail": lambda user: _pk(_first_of_model("mail.InboundMessage"), "inbound_id"),
    "mail:mailbox_edit": lambda user: _pk(_first_of_model("mail.Mailbox"), "mailbox_id"),
    "mail:original": _original_mail,
    "assets:detail": _first_of("assets.Asset"),
    "assets:edit": _first_of("assets.Asset"),
    "assets:import_status": _first_of("assets.ImportJob"),
    "assets:campaign": _first_of("assets.Campaign"),
    "monitoring:confirm": _subscription,
    "monitoring:unsubscribe": _subscription,
    "monitoring:service": _first_of("monitoring.Service"),
    "monitoring:service_edit": _first_of("monitoring.Service"),
    "monitoring:incident_new": _first_of("monitoring.Service"),
    "monitoring:check_new": _first_of("monitoring.Service"),
    "monitoring:check_edit": _first_of("monitoring.Check"),
    "monitoring:incident": _first_of("monitoring.Incident"),
    "monitoring:ack": _alert,
    "monitoring:rota_edit": _first_of("monitoring.OnCallRota"),
    "monitoring:maintenance_edit": _first_of("monitoring.Maintenance"),
    "monitoring:channel_edit": _first_of("monitoring.AlertChannel"),
    "tickets:saved_view": lambda user: _pk(
        _first(_model("tickets.SavedView").objects.filter(owner=user)), "view_id"
    ),
    "tickets:archive_detail": lambda user: (
        None
        if (t := _first(_model("tickets.Ticket").objects.filter(archived_at__isnull=False))) is None
        else {"reference": t.reference}  # type: ignore[attr-defined]
    ),
}


def _dashboards() -> list[str]:
    from relais.reports.choices import DashboardKey

    return [reverse("reports:dashboard", kwargs={"key": key}) for key in DashboardKey.values]


def _category_step(user: User) -> list[str]:
    from relais.tickets.models import Category

    leaf = _first(Category.objects.filter(is_active=True, children__isnull=True))
    return [] if leaf is None else [reverse("tickets:new") + f"?categorie={leaf.pk}"]


# Routes with a parameter that is not an object (a slug listing fixed pages), and pages that
# exist as variants of a route (the second step of the guided form, a search with results).
EXPANSIONS: dict[str, Callable[[User], list[str]]] = {
    "reports:dashboard": lambda user: _dashboards(),
    "tickets:new": lambda user: [reverse("tickets:new"), *_category_step(user)],
    "search:results": lambda user: [reverse("search:results") + "?q=vpn"],
}


def unmapped_routes() -> list[str]:
    return sorted(
        route.name
        for route in routes()
        if route.params
        and route.name not in NOT_PAGES
        and route.name not in KWARGS
        and route.name not in EXPANSIONS
    )


def pages_for(user: User) -> list[tuple[str, str]]:
    """(route name, path) of every HTML page, filled with objects `user` may see when the
    route needs one; routes the user may not open are kept (the browser test checks the
    answer is a refusal, and skips them)."""
    pages: list[tuple[str, str]] = []
    for route in routes():
        if route.name in NOT_PAGES:
            continue
        if route.name in EXPANSIONS:
            pages += [(route.name, path) for path in EXPANSIONS[route.name](user)]
            continue
        if not route.params:
            pages.append((route.name, reverse(route.name)))
            continue
        kwargs = KWARGS[route.name](user)
        if kwargs is not None:
            pages.append((route.name, reverse(route.name, kwargs=kwargs)))
    return pages


def reference_data() -> None:
    """The reference rows the data migrations write (categories, priority matrix, SLA
    policies, asset types, search synonyms). A transactional test starts from an empty
    database when the serialized copy is not restored (seen on PostgreSQL), so the browser
    tests put them back; each seed is idempotent."""
    import importlib

    from django.apps import apps

    from relais.search.models import SynonymGroup

    for module, function in [
        ("relais.tickets.migrations.0002_seed_reference_data", "seed"),
        ("relais.assets.migrations.0002_asset_types", "create_types"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)
    if not SynonymGroup.objects.exists():
        for module in ("0003_seed_synonyms", "0005_synonyms_update"):
            importlib.import_module(f"relais.search.migrations.{module}").forward(apps, None)


def seed_site(*, scale: float = 0.02) -> None:
    """The demo organisation, desk, knowledge, community, park and service watch, plus the
    few objects the demo does not make (so that every page has something to show): a
    flagged comment, a maintenance window, an alert channel, an on-call alert, status-page
    subscriptions, an asset import and a ticket attachment."""
    from relais.core import demo

    reference_data()
    demo.seed(scale=scale)
    seed_extras()


def seed_extras() -> None:
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from relais.assets.models import ImportJob
    from relais.community.choices import FlagReason
    from relais.community.services import comment_post, flag_create
    from relais.monitoring.choices import AlertKind, ChannelKind
    from relais.monitoring.models import Alert, Incident, Service, Subscription
    from relais.monitoring.services.config import channel_create, maintenance_create
    from relais.tickets.services import ticket_reply

    admin = User.objects.get(email="admin@relais.test")
    collaborator = User.objects.get(email="collaborateur@relais.test")
    question = _question(collaborator)
    if question is not None:
        comment = comment_post(actor=collaborator, body="Même souci ce matin.", question=question)
        flag_create(actor=admin, reason=FlagReason.OFF_TOPIC, comment=comment)
    now = timezone.now()
    maintenance_create(
        actor=admin,
        title="Mise à jour du VPN",
        services=list(Service.objects.order_by("pk")[:1]),
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=2),
        description="Coupure de 20 minutes.",
    )
    channel_create(
        actor=admin, name="Astreinte", kind=ChannelKind.EMAIL, target="astreinte@relais.test"
    )
    incident = Incident.objects.order_by("pk").first()
    if incident is not None:
        Alert.objects.create(incident=incident, kind=AlertKind.DOWN, recipient=admin)
    Subscription.objects.create(email="abonne@example.test")
    ImportJob.objects.create(
        created_by=admin, dry_run=True, storage_name="x", original_name="parc.csv"
    )
    # The archive reader's pages: an administrator with the grant, one archived ticket; a
    # saved view for each desk member.
    from relais.accounts.services import user_archive_reader_set
    from relais.tickets.models import Ticket
    from relais.tickets.services.saved_views import saved_view_save

    user_archive_reader_set(user=admin, actor=admin, granted=True)
    oldest_closed = Ticket.objects.filter(status="closed").order_by("pk").first()
    if oldest_closed is not None:
        Ticket.objects.filter(pk=oldest_closed.pk).update(archived_at=now)
    for email in ("agent@relais.test", "superviseur@relais.test", "admin@relais.test"):
        saved_view_save(owner=User.objects.get(email=email), name="Nouvelles", query="status=new")
    ticket = _ticket(collaborator)
    if ticket is not None:
        ticket_reply(
            ticket=ticket,
            actor=collaborator,
            body="Voici la capture d’écran.",
            attachments=[SimpleUploadedFile("capture.txt", b"Erreur 809", "text/plain")],
        )
