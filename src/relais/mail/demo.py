"""Demo e-mail channel: the desk's mailbox (not polled: the embedded mode has no IMAP server;
`relais mail-ingest` takes messages on standard input) and a morning of inbound mail — new
requests, a reply threaded on its ticket, an out-of-office, a newsletter, a bounce and a
message from an unknown sender waiting in quarantine."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.core.demo import DemoContext
from relais.mail.choices import Security, UnknownSenders
from relais.mail.models import Mailbox, MailReference
from relais.mail.services import ingest
from relais.tickets.models import Category

DESK = "support@relais.test"


def _mail(sender: str, subject: str, body: str, *, headers: dict[str, str] | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = DESK
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain="demo.relais.test")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def seed(ctx: DemoContext) -> str:
    category = Category.objects.filter(is_active=True, parent__isnull=True).order_by("position")[0]
    mailbox = Mailbox.objects.create(
        name="support",
        address=DESK,
        host="imap.relais.test",
        port=993,
        security=Security.IMAPS,
        username=DESK,
        category=category,
        unknown_senders=UnknownSenders.QUARANTINE,
        is_active=False,
    )
    staff = list(
        User.objects.filter(role=Role.COLLABORATOR, is_active=True)
        .exclude(email__endswith=".invalid")
        .order_by("pk")[:4]
    )
    requests = [
        (
            "Le VPN refuse ma connexion depuis la maison",
            "Bonjour,\n\nFortiClient reste bloqué "
            "à 40 % puis affiche « Erreur d’authentification ».\n\nCordialement,",
        ),
        (
            "Imprimante du 2e étage : bourrage permanent",
            "Bonjour,\n\nL’imprimante affiche un "
            "bourrage papier alors qu’il n’y a rien dans le bac.\n\nMerci",
        ),
        (
            "Accès à la gestion locative pour une arrivée lundi",
            "Bonjour,\n\nPouvez-vous ouvrir les accès de notre nouveau collègue ?\n\nBonne journée",
        ),
    ]
    opened = []
    for person, (subject, body) in zip(staff, requests, strict=False):
        opened.append(ingest(_mail(person.email, subject, body), mailbox=mailbox).inbound)
    first = opened[0]
    ack = (
        MailReference.objects.filter(ticket=first.ticket, outbound=True)
        .values_list("message_id", flat=True)
        .first()
    )
    count = len(opened)
    if ack and first.ticket is not None:
        ingest(
            _mail(
                first.sender,
                f"RE: [{first.ticket.reference}] Votre demande a bien été reçue",
                "J’ai aussi essayé depuis le Wi-Fi de mon téléphone : même erreur.\n\n"
                "De : Relais <support@relais.test>\nEnvoyé : ce matin\nObjet : votre demande\n\n"
                "##- Répondez au-dessus de cette ligne -##",
                headers={"In-Reply-To": ack, "References": ack},
            ),
            mailbox=mailbox,
        )
        count += 1
        ingest(
            _mail(
                staff[1].email if len(staff) > 1 else first.sender,
                "Réponse automatique : absent du bureau",
                "Je suis absent jusqu’au 4 décembre. Pour toute urgence, contactez l’agence.",
                headers={"Auto-Submitted": "auto-replied", "In-Reply-To": ack},
            ),
            mailbox=mailbox,
        )
        count += 1
    for raw in (
        _mail(
            "lettre@editeur-logiciel.example",
            "Nouveautés de décembre",
            "Découvrez nos nouvelles fonctions.",
            headers={"Precedence": "bulk", "List-Id": "<nouvelles.editeur-logiciel.example>"},
        ),
        _mail(
            "jean.dupont@gmail.example",
            "Chauffage en panne au 12 rue des Lilas",
            "Bonjour, le chauffage ne fonctionne plus depuis hier soir. Jean Dupont, locataire.",
        ),
    ):
        ingest(raw, mailbox=mailbox)
        count += 1
    return f"{count} inbound e-mails (1 mailbox, not polled in the embedded mode)"
