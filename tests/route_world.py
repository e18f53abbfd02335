"""One small organisation with an object behind every URL parameter, for the route inventory
(tests/test_routes.py): each route is called with ids that exist, so that a refusal is a real
refusal and not a missing row.

The objects are chosen so that a role the registry allows can reach them: the ticket is the
collaborator's and belongs to the agent's team, the article is published for everyone, the
asset is lent to the collaborator, and so on. Objects that belong to the caller (API tokens)
are made for each caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.accounts.services import token_create
from relais.tickets.models import Category
from tests.factories import OrgUnitFactory, SiteFactory, TeamFactory, UserFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
DESK = "assistance@relais.test"

Value = str | int | Callable[[User], str | int]


def _mail(sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DESK
    message["Subject"] = "Imprimante en panne"
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain="client.example")
    message.set_content("Bonjour,\n\nL'imprimante du 2e ne répond plus.\n")
    return message.as_bytes()


def build(settings: Any) -> tuple[dict[str, User], dict[str, dict[str, Value]]]:
    """The people by role, and the value of each URL parameter: `params[route][name]`, where
    route is a URL name ("tickets:detail") or an API path ("/api/v1/tickets/{reference}"),
    with defaults under "*"."""
    from relais.assets import services as assets
    from relais.assets.choices import AssetKind
    from relais.assets.models import AssetModel, AssetType
    from relais.community import services as community
    from relais.community.models import Comment, Member
    from relais.core.privacy import personal_data_export
    from relais.core.services import email_enqueue
    from relais.kb.services import ArticleDraft, article_create, article_image_add
    from relais.mail.choices import Security
    from relais.mail.models import Mailbox
    from relais.mail.services import ingest
    from relais.monitoring import services as watch
    from relais.monitoring.executors import Outcome
    from relais.monitoring.models import Incident
    from relais.tickets.choices import Level
    from relais.tickets.services import TicketDraft, ticket_open, ticket_reply

    settings.MAIL_DESK_ADDRESS = DESK
    team = TeamFactory(name="Réseau et VPN", code="reseau-vpn")
    people = {
        Role.COLLABORATOR: UserFactory(
            role=Role.COLLABORATOR, org_unit=OrgUnitFactory(), site=SiteFactory()
        ),
        Role.AGENT: UserFactory(role=Role.AGENT),
        Role.SUPERVISOR: UserFactory(role=Role.SUPERVISOR),
        Role.ADMIN: UserFactory(role=Role.ADMIN),
    }
    collaborator, agent, admin = people[Role.COLLABORATOR], people[Role.AGENT], people[Role.ADMIN]
    team.members.add(agent)
    root = Category.objects.get(name="Connexion & VPN", parent=None)
    category = Category.objects.get(name="VPN", parent=root)
    Category.objects.filter(pk__in=[root.pk, category.pk]).update(team=team)
    category.refresh_from_db()

    # Service desk: the collaborator's ticket, in the agent's team, with an attachment.
    ticket = ticket_open(
        actor=collaborator,
        draft=TicketDraft(
            category=category,
            title="Le VPN se déconnecte",
            description="Toutes les dix minutes.",
            impact=Level.LOW,
            urgency=Level.MEDIUM,
        ),
    )
    ticket_reply(
        ticket=ticket,
        actor=collaborator,
        body="Capture jointe.",
        attachments=[SimpleUploadedFile("capture.txt", b"journal VPN", "text/plain")],
    )
    attachment = ticket.attachments.get()

    # E-mail channel: a mailbox and a message filed as a ticket of the collaborator.
    mailbox = Mailbox.objects.create(
        name="assistance",
        address=DESK,
        host="imap.relais.test",
        port=993,
        security=Security.IMAPS,
        username="assistance",
        category=category,
    )
    mailed = ingest(_mail(collaborator.email), mailbox=mailbox, uid=1, uidvalidity=1)
    inbound = mailed.inbound

    # Knowledge base: an article for everyone, with an image.
    article = article_create(
        draft=ArticleDraft(title="Configurer le VPN", body="Ouvrez le client VPN.", tags=()),
        actor=people[Role.SUPERVISOR],
        state="published",
    )
    image = article_image_add(
        article=article,
        actor=people[Role.SUPERVISOR],
        upload=SimpleUploadedFile("schema.png", PNG, "image/png"),
    )

    # Peer help: the collaborator's question, an answer by a colleague, a comment, a flag.
    helper = UserFactory(role=Role.COLLABORATOR)
    for member in (collaborator, helper):
        community.member_join(user=member)
    Member.objects.update(joined_at=timezone.now() - timedelta(days=365))
    question = community.question_ask(
        author=collaborator, title="Le VPN coupe en visio", body="Depuis ce matin.", tags=["VPN"]
    )
    answer = community.answer_post(question=question, author=helper, body="Mettez à jour.")
    comment = community.comment_post(actor=helper, question=question, body="Moi aussi.")
    flag = community.flag_create(actor=helper, reason="spam", question=question)
    assert isinstance(comment, Comment)

    # Asset park: a laptop assigned to the collaborator, a lendable headset on loan to them,
    # an attachment, an import job and a campaign.
    laptop_model = AssetModel.objects.create(
        asset_type=AssetType.objects.get(kind=AssetKind.LAPTOP), manufacturer="Dell", name="5440"
    )
    laptop = assets.asset_create(
        actor=agent, data=assets.AssetData(model=laptop_model, tag="PC-0001", serial_number="S1")
    )
    assets.asset_move(actor=agent, asset=laptop, state="prepared")
    assets.asset_move(actor=agent, asset=laptop, state="assigned", holder=collaborator)
    asset_file = assets.asset_attach(
        actor=agent,
        asset=laptop,
        upload=SimpleUploadedFile("facture.txt", b"facture", "text/plain"),
    )
    loaner = assets.asset_create(
        actor=agent, data=assets.AssetData(model=laptop_model, tag="PC-0002", serial_number="S2")
    )
    AssetType.objects.filter(kind=AssetKind.LAPTOP).update(lendable=True)
    loan = assets.loan_create(
        actor=agent,
        asset=loaner,
        borrower=collaborator,
        due_on=timezone.localdate() + timedelta(days=7),
    )
    job = assets.import_job_create(
        actor=admin,
        upload=SimpleUploadedFile("parc.csv", b"tag;serial_number\n", "text/csv"),
        dry_run=True,
    )
    campaign = assets.campaign_create(
        actor=people[Role.SUPERVISOR], name="Télétravail", people=[collaborator]
    )
    target = campaign.targets.get()

    # Service watch: a public service with a failing check (an incident), a maintenance, an
    # on-call rota with an override, an alert channel.
    service = watch.service_create(actor=admin, data={"name": "VPN", "is_public": True})
    check = watch.check_create(
        actor=admin,
        service=service,
        data={
            "name": "Portail",
            "kind": "http",
            "target": "http://127.0.0.1:9/",
            "interval_seconds": 30,
            "timeout_seconds": 2,
            "failures_before_down": 1,
            "successes_before_up": 1,
        },
    )
    watch.results_record(results=[watch.ProbeResult(check.pk, timezone.now(), Outcome("down"))])
    incident = Incident.objects.get()
    later = timezone.now() + timedelta(days=3)
    maintenance = watch.maintenance_create(
        actor=admin,
        title="Bascule",
        services=[service],
        starts_at=later,
        ends_at=later + timedelta(hours=1),
    )
    rota = watch.rota_create(actor=admin, name="Réseau", starts_at=timezone.now(), members=[agent])
    override = watch.rota_override_add(
        actor=admin, rota=rota, user=agent, starts_at=later, ends_at=later + timedelta(days=1)
    )
    channel = watch.channel_create(
        actor=admin, name="Équipe", kind="email", target="reseau@relais.test"
    )

    outbox = email_enqueue(to=["x@relais.test"], subject="Test", text="Test")
    export = personal_data_export(person=collaborator, actor=admin)

    def own_token(user: User) -> int:
        return token_create(user=user, name="routes").token.pk

    from relais.tickets.models import SavedView

    # Each person's own saved view (made here: a GET sweep must find them already there).
    saved_views = {
        user.pk: SavedView.objects.create(owner=user, name="Routes", query="queue=all").pk
        for user in people.values()
    }

    def own_saved_view(user: User) -> int:
        return saved_views.get(user.pk, 0)

    params: dict[str, dict[str, Value]] = {
        "*": {
            "reference": ticket.reference,
            "user_id": collaborator.pk,
            "answer_id": answer.pk,
            "question_id": question.pk,
            "comment_id": comment.pk,
            "flag_id": flag.pk,
            "inbound_id": inbound.pk,
            "message_id": inbound.pk,
            "mailbox_id": mailbox.pk,
            "image_id": image.pk,
            "attachment_id": attachment.pk,
            "article_id": article.pk,
            "asset_id": laptop.pk,
            "campaign_id": campaign.pk,
            "target_id": target.pk,
            "loan_id": loan.pk,
            "person_id": collaborator.pk,
            "token_id": own_token,
            "view_id": own_saved_view,
            "service_id": service.pk,
            "check_id": check.pk,
            "incident_id": incident.pk,
            "maintenance_id": maintenance.pk,
            "rota_id": rota.pk,
            "override_id": override.pk,
            "channel_id": channel.pk,
            "key": "tickets",
            "table": "backlog",
            "fmt": "csv",
            "tag": "vpn",
            "token": "x",
            "uidb64": "x",
        },
        "core:outbox_requeue": {"message_id": outbox.pk},
        "accounts:personal_data_download": {"token": export.token},
        "mail:original": {"reference": inbound.ticket.reference},
        "assets:attachment": {"attachment_id": asset_file.pk},
        "/api/v1/mail/messages/{message_id}": {"message_id": inbound.pk},
    }
    by_pk = [
        (article.pk, "kb:detail kb:edit kb:move kb:feedback kb:history kb:image_add"),
        (
            question.pk,
            "community:question community:edit community:history community:answer "
            "community:comment community:vote community:follow community:flag community:moderate "
            "community:duplicate community:to_ticket",
        ),
        (laptop.pk, "assets:detail assets:edit assets:move assets:attach"),
        (loaner.pk, "assets:lend"),
        (loan.pk, "assets:loan_return"),
        (job.pk, "assets:import_status"),
        (campaign.pk, "assets:campaign assets:campaign_export assets:campaign_close"),
        (
            service.pk,
            "monitoring:service monitoring:service_edit monitoring:incident_new "
            "monitoring:check_new monitoring:public_badge monitoring:public_uptime_badge "
            "monitoring:public_history monitoring:public_service_feed "
            "monitoring:public_service_feed_rss",
        ),
        (check.pk, "monitoring:check_edit"),
        (incident.pk, "monitoring:incident monitoring:affected"),
        (rota.pk, "monitoring:rota_edit"),
        (maintenance.pk, "monitoring:maintenance_edit"),
        (channel.pk, "monitoring:channel_edit"),
    ]
    for pk, names in by_pk:
        for name in names.split():
            params.setdefault(name, {})["pk"] = pk
    return people, params


def value_for(params: dict[str, dict[str, Value]], route: str, name: str, user: User) -> str:
    """The value of parameter `name` in `route` for `user`."""
    for key in (route, "*"):
        if name in params.get(key, {}):
            value = params[key][name]
            return str(value(user) if callable(value) else value)
    raise KeyError(f"no value for <{name}> in {route}")
