"""Demo service desk: ~2,000 tickets over the past year, with conversations, SLA states and
satisfaction ratings. Built in bulk (the ORM's bulk_create) with the same priority and SLA
rules as the services, so that seeding takes seconds, not minutes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from relais.accounts.choices import Role
from relais.core.demo import DemoContext
from relais.tickets.choices import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    Level,
    MessageKind,
    TicketStatus,
    TicketType,
)
from relais.tickets.config import config_changed
from relais.tickets.models import (
    CannedResponse,
    Category,
    ReferenceCounter,
    Satisfaction,
    SlaPause,
    TeamSettings,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from relais.tickets.services import clock
from relais.tickets.services.facts import ticket_facts_rebuild
from relais.tickets.services.lifecycle import priority_compute

TICKET_COUNT = 2000

PROBLEMS = {
    "Connexion & VPN": [
        "Le VPN se déconnecte toutes les 10 minutes",
        "Impossible de me connecter au VPN depuis chez moi",
        "Le Wi-Fi de l'agence ne fonctionne plus",
        "Connexion très lente en télétravail",
        "Message « serveur VPN injoignable » au démarrage",
    ],
    "Messagerie": [
        "Outlook ne reçoit plus de mails depuis ce matin",
        "Accès à la boîte partagée de l'agence",
        "Ma boîte aux lettres est pleine",
        "Les invitations du calendrier n'arrivent pas",
    ],
    "Poste de travail": [
        "Mon ordinateur portable est très lent",
        "Écran bleu au démarrage",
        "Installer le lecteur PDF sur mon poste",
        "La batterie du portable ne tient plus la charge",
        "Le poste redémarre tout seul pendant les mises à jour",
    ],
    "Téléphonie": [
        "Mon téléphone mobile n'a plus de réseau à la loge",
        "Le softphone ne sonne pas",
        "Réinitialiser le code de la messagerie vocale",
    ],
    "Impression": [
        "L'imprimante du 2e étage affiche « bourrage papier »",
        "Impossible de scanner vers ma messagerie",
        "Les impressions sortent en noir et blanc",
    ],
    "Applications métier": [
        "Erreur à l'enregistrement d'un bail dans la gestion locative",
        "L'extranet locataires affiche une page blanche",
        "Accès à l'application de gestion des réclamations",
        "Export des quittances impossible",
    ],
    "Plateformes collaboratives": [
        "Je n'entends pas mes interlocuteurs dans Teams",
        "Accès refusé au site SharePoint de la direction",
        "Partager un dossier avec un prestataire",
    ],
    "Accès & mots de passe": [
        "Mot de passe expiré, je ne peux plus me connecter",
        "Création de compte pour un nouvel arrivant",
        "Droits d'accès au dossier partagé de l'agence",
    ],
    "Matériel": [
        "Demande d'un second écran pour le télétravail",
        "Prêt d'un ordinateur portable pour une formation",
        "Le clavier du portable ne répond plus",
        "Demande d'une clé 4G pour le terrain",
    ],
}

AGENT_REPLIES = [
    "Bonjour, pouvez-vous redémarrer votre poste et nous dire si le problème persiste ?",
    "Nous avons relancé le service, pouvez-vous réessayer ?",
    "Je prends votre demande en charge, je reviens vers vous dans la journée.",
    "Pouvez-vous nous envoyer une capture d'écran du message d'erreur ?",
    "L'intervention est planifiée demain matin à l'agence.",
]
REQUESTER_REPLIES = [
    "Merci, cela fonctionne de nouveau.",
    "Le problème persiste après redémarrage.",
    "Voici la capture demandée.",
    "Je suis disponible demain matin.",
]
NOTES = [
    "Incident connu côté opérateur, ticket ouvert chez le fournisseur.",
    "Vérifié dans la console : compte verrouillé.",
    "À rapprocher des autres signalements de l'agence.",
]
RESOLUTIONS = [
    "Le profil a été recréé, la connexion fonctionne.",
    "Le certificat VPN a été renouvelé.",
    "Matériel remplacé.",
    "Droits ajoutés au groupe de l'agence.",
]
COMMENTS = [
    "Rapide et efficace, merci !",
    "Un peu long mais résolu.",
    "Très bon accueil.",
    "",
    "",
    "",
]


def seed(ctx: DemoContext) -> str:
    rng = ctx.rng
    teams = ctx.data["teams"]
    users = ctx.data["users"]
    collaborators = [u for u in users if u.role == Role.COLLABORATOR and u.is_active]
    agents_by_team = {
        code: [m for m in team.members.all() if m.role != Role.COLLABORATOR]
        for code, team in teams.items()
    }

    routing = {
        "Connexion & VPN": "reseau-vpn",
        "Messagerie": "messagerie",
        "Poste de travail": "poste-mobilite",
        "Téléphonie": "poste-mobilite",
        "Impression": "support-n1",
        "Applications métier": "applications",
        "Plateformes collaboratives": "messagerie",
        "Accès & mots de passe": "support-n1",
        "Matériel": "poste-mobilite",
    }
    roots = {c.name: c for c in Category.objects.filter(parent__isnull=True)}
    for name, team_code in routing.items():
        roots[name].team = teams[team_code]
        roots[name].save(update_fields=["team", "updated_at"])
    TeamSettings.objects.create(team=teams["support-n1"], round_robin=True)
    leaves = list(Category.objects.filter(parent__isnull=False).select_related("parent"))
    CannedResponse.objects.bulk_create(
        [
            CannedResponse(title="Redémarrage", body=AGENT_REPLIES[0]),
            CannedResponse(title="Capture d'écran", body=AGENT_REPLIES[3]),
            CannedResponse(title="Prise en charge", body=AGENT_REPLIES[2]),
        ]
    )
    config_changed()  # bulk_create sends no post_save: the desk snapshot holds canned responses

    now = timezone.now()
    calendar_default = clock.calendar_arithmetic(None)
    counters: dict[str, int] = {}
    tickets: list[Ticket] = []
    plan: list[dict[str, str]] = []
    policies_cache: dict[tuple[str, int], tuple[int | None, int | None, object]] = {}
    for _index in range(max(1, int(TICKET_COUNT * ctx.scale))):
        # More tickets recently, a long tail over the year.
        age = timedelta(minutes=int((rng.random() ** 2) * 365 * 24 * 60))
        created = now - age
        category = rng.choice(leaves)
        root = category.parent
        assert root is not None
        title = rng.choice(PROBLEMS[root.name])
        ticket_type = TicketType(category.default_type)
        impact = rng.choices([Level.LOW, Level.MEDIUM, Level.HIGH], [6, 3, 1])[0]
        urgency = rng.choices([Level.LOW, Level.MEDIUM, Level.HIGH], [3, 5, 2])[0]
        priority = priority_compute(impact=impact, urgency=urgency)
        team = teams[routing[root.name]]
        agents = agents_by_team[routing[root.name]] or agents_by_team["support-n1"]
        requester = rng.choice(collaborators)
        if age < timedelta(days=2):
            status = rng.choice([TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS])
        elif age < timedelta(days=10):
            status = rng.choice(
                [
                    TicketStatus.IN_PROGRESS,
                    TicketStatus.WAITING_REQUESTER,
                    TicketStatus.WAITING_THIRD_PARTY,
                    TicketStatus.RESOLVED,
                    TicketStatus.RESOLVED,
                ]
            )
        else:
            status = rng.choices([TicketStatus.CLOSED, TicketStatus.RESOLVED], [9, 1])[0]
        assignee = None if status == TicketStatus.NEW else rng.choice(agents)
        year = timezone.localtime(created).year
        key = f"{'INC' if ticket_type == TicketType.INCIDENT else 'DEM'}-{year}"
        ticket = Ticket(
            type=ticket_type,
            category=category,
            title=title,
            description=f"{title}.\n\nDepuis {rng.choice(['ce matin', 'hier', 'lundi'])}, "
            f"sur le site {requester.site}. Merci de votre aide.",
            requester=requester,
            created_by=requester,
            channel=rng.choices(
                [Channel.PORTAL, Channel.EMAIL, Channel.PHONE, Channel.WALK_IN], [6, 3, 2, 1]
            )[0],
            impact=impact,
            urgency=urgency,
            priority=priority,
            status=status,
            team=team,
            assignee=assignee,
            created_at=created,
            updated_at=created,
        )
        cache_key = (priority, root.pk)
        if cache_key not in policies_cache:
            clock.sla_targets_apply(ticket)
            policies_cache[cache_key] = (
                ticket.first_response_target,
                ticket.resolution_target,
                ticket.sla_calendar,
            )
        first_target, resolution_target, calendar = policies_cache[cache_key]
        ticket.first_response_target, ticket.resolution_target = first_target, resolution_target
        ticket.sla_calendar = calendar  # type: ignore[assignment]
        arithmetic = clock.calendar_arithmetic(calendar) if calendar else calendar_default  # type: ignore[arg-type]
        if first_target:
            ticket.first_response_due = arithmetic.add_business_time(
                created, timedelta(minutes=first_target)
            )
        if resolution_target:
            ticket.resolution_due = arithmetic.add_business_time(
                created, timedelta(minutes=resolution_target)
            )
            ticket.resolution_warn_at = arithmetic.add_business_time(
                created, timedelta(minutes=resolution_target * 0.75)
            )
        if status != TicketStatus.NEW:
            # Most first responses are on time; some are late.
            minutes = (first_target or 60) * rng.choice([0.2, 0.5, 0.8, 1.5])
            ticket.first_responded_at = min(
                arithmetic.add_business_time(created, timedelta(minutes=minutes)), now
            )
        if status in {TicketStatus.RESOLVED, TicketStatus.CLOSED}:
            minutes = (resolution_target or 480) * rng.choice([0.3, 0.6, 0.9, 1.3])
            resolved = min(arithmetic.add_business_time(created, timedelta(minutes=minutes)), now)
            ticket.resolved_at = resolved
            ticket.resolution = rng.choice(RESOLUTIONS)
            if status == TicketStatus.CLOSED:
                ticket.closed_at = min(resolved + timedelta(days=rng.randint(0, 7)), now)
            ticket.updated_at = ticket.closed_at or resolved
        if status in {TicketStatus.WAITING_REQUESTER, TicketStatus.WAITING_THIRD_PARTY}:
            ticket.sla_paused_since = created + (now - created) / 2
            ticket.resolution_due = None
            ticket.resolution_warn_at = None
        if ticket.first_response_due and ticket.first_responded_at:
            ticket.first_response_breached = ticket.first_responded_at > ticket.first_response_due
        elif ticket.first_response_due and ticket.first_response_due < now:
            ticket.first_response_breached = True
        if ticket.resolution_due:
            ticket.resolution_breached = (ticket.resolved_at or now) > ticket.resolution_due
        ticket.sla_warned = bool(
            ticket.resolution_warn_at
            and ticket.resolution_warn_at < now
            and status in OPEN_STATUSES
        )
        tickets.append(ticket)
        plan.append({"key": key})

    # References in creation order, per type and year.
    order = sorted(range(len(tickets)), key=lambda i: tickets[i].created_at)
    for i in order:
        key = plan[i]["key"]
        counters[key] = counters.get(key, 0) + 1
        tickets[i].reference = f"{key}-{counters[key]:06d}"
    Ticket.objects.bulk_create(tickets, batch_size=500)
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(key=key, value=value) for key, value in counters.items()]
    )

    created_tickets = list(Ticket.objects.select_related("assignee", "requester").all())
    message_rows: list[TicketMessage] = []
    event_rows: list[TicketEvent] = []
    ratings: list[Satisfaction] = []
    for ticket in created_tickets:
        event_rows.append(
            TicketEvent(
                ticket=ticket,
                kind=EventKind.CREATED,
                actor=ticket.requester,
                channel=ticket.channel,
                created_at=ticket.created_at,
                new_value={"status": ticket.status, "priority": ticket.priority},
            )
        )
        moment = ticket.first_responded_at
        if moment and ticket.assignee:
            message_rows.append(
                TicketMessage(
                    ticket=ticket,
                    kind=MessageKind.REPLY,
                    author=ticket.assignee,
                    body=rng.choice(AGENT_REPLIES),
                    channel=Channel.PORTAL,
                    created_at=moment,
                )
            )
            if rng.random() < 0.6:
                later = min(moment + timedelta(hours=rng.randint(1, 30)), now)
                message_rows.append(
                    TicketMessage(
                        ticket=ticket,
                        kind=MessageKind.REPLY,
                        author=ticket.requester,
                        body=rng.choice(REQUESTER_REPLIES),
                        channel=Channel.PORTAL,
                        created_at=later,
                    )
                )
            if rng.random() < 0.3:
                message_rows.append(
                    TicketMessage(
                        ticket=ticket,
                        kind=MessageKind.NOTE,
                        author=ticket.assignee,
                        body=rng.choice(NOTES),
                        channel=Channel.PORTAL,
                        created_at=min(moment + timedelta(minutes=20), now),
                    )
                )
        if ticket.resolved_at:
            event_rows.append(
                TicketEvent(
                    ticket=ticket,
                    kind=EventKind.STATUS_CHANGED,
                    actor=ticket.assignee,
                    field="status",
                    old_value=TicketStatus.IN_PROGRESS,
                    new_value=TicketStatus.RESOLVED,
                    created_at=ticket.resolved_at,
                )
            )
            if rng.random() < 0.45:
                ratings.append(
                    Satisfaction(
                        ticket=ticket,
                        rating=rng.choices([5, 4, 3, 2, 1], [45, 30, 12, 8, 5])[0],
                        comment=rng.choice(COMMENTS),
                        created_at=ticket.resolved_at,
                    )
                )
    SlaPause.objects.bulk_create(
        [
            SlaPause(ticket=ticket, started_at=ticket.sla_paused_since)
            for ticket in created_tickets
            if ticket.sla_paused_since is not None
        ]
    )
    TicketMessage.objects.bulk_create(message_rows, batch_size=1000)
    TicketEvent.objects.bulk_create(event_rows, batch_size=1000)
    Satisfaction.objects.bulk_create(ratings, batch_size=1000)
    # Bulk rows bypass the services: the reports' fact rows are computed once at the end.
    ticket_facts_rebuild()
    ctx.data["tickets"] = created_tickets
    return (
        f"{len(created_tickets)} tickets, {len(message_rows)} messages, "
        f"{len(ratings)} satisfaction ratings"
    )
