"""Inbound mail into tickets: new requests, replies threaded on the right ticket, once only."""

from __future__ import annotations

from typing import Any

import pytest

from relais.mail.choices import InboundStatus, Outcome, UnknownSenders
from relais.mail.models import InboundMessage, MailReference
from relais.mail.outbound import thread_root_id
from relais.tickets.choices import Channel, MessageKind, TicketStatus
from relais.tickets.models import Attachment, Ticket
from tests.mail.conftest import DESK, OUR_REPLY_ID

pytestmark = pytest.mark.django_db


def test_a_staff_mail_opens_a_ticket_and_is_acknowledged_once(
    claire: Any, ingest_mail: Any, make_mail: Any, smtp_server: Any
) -> None:
    raw = make_mail(sender="Claire Martin <Claire.Martin@relais.test>", subject="VPN en panne")
    result = ingest_mail(raw)
    assert result.inbound.status == InboundStatus.PROCESSED
    ticket = result.inbound.ticket
    assert ticket.requester == claire
    assert ticket.channel == Channel.EMAIL
    assert ticket.title == "VPN en panne"
    assert "ne se connecte plus" in ticket.description
    assert result.summary == f"{ticket.reference} created"

    again = ingest_mail(raw)
    assert again.inbound.pk == result.inbound.pk
    assert again.summary == f"{ticket.reference} created (already processed)"
    assert Ticket.objects.count() == 1

    acks = [m for m in smtp_server.messages if m["To"] == "claire.martin@relais.test"]
    assert len(acks) == 1
    ack = acks[0]
    assert ack["Auto-Submitted"] == "auto-generated"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["Reply-To"] == DESK
    # Threaded under Claire's own mail in her client.
    assert ack["In-Reply-To"] == result.inbound.message_id
    assert thread_root_id(ticket) in ack["References"]
    # The acknowledgement carries the title, not the description, and no login-free link.
    text = ack.get_body(("plain",)).get_content()
    assert "VPN en panne" in text and "ne se connecte plus" not in text
    assert ack.get_body(("html",)) is not None
    assert text.splitlines()[0].startswith("##-")


def test_a_reply_to_our_mail_joins_the_ticket_without_the_quoted_history(
    ticket_a: Ticket, claire: Any, ingest_mail: Any, make_mail: Any
) -> None:
    Ticket.objects.filter(pk=ticket_a.pk).update(status=TicketStatus.WAITING_REQUESTER)
    body = (
        "Ça marche de nouveau, merci !\n\n"
        "Le jeu. 26 nov. 2026 à 10:02, Relais <support@relais.test> a écrit :\n"
        "> ##- Répondez au-dessus de cette ligne -##\n"
        "> Pouvez-vous redémarrer le poste ?\n"
    )
    raw = make_mail(
        sender=claire.email,
        subject=f"Re: [{ticket_a.reference}] Nouvelle réponse",
        body=body,
        headers={"In-Reply-To": OUR_REPLY_ID, "References": OUR_REPLY_ID},
    )
    result = ingest_mail(raw)
    assert result.inbound.outcome == Outcome.REPLIED
    assert result.inbound.ticket == ticket_a
    message = result.inbound.ticket_message
    assert message.kind == MessageKind.REPLY and message.author == claire
    assert message.body == "Ça marche de nouveau, merci !"
    assert "redémarrer" in result.inbound.original_text  # the original is kept
    ticket_a.refresh_from_db()
    assert ticket_a.status == TicketStatus.IN_PROGRESS  # the requester's answer wakes it
    assert Ticket.objects.count() == 1


def test_replying_to_ones_own_mail_joins_the_ticket_it_opened(
    claire: Any, ingest_mail: Any, make_mail: Any
) -> None:
    first = make_mail(sender=claire.email, message_id="<premier.42@client.example>")
    ticket = ingest_mail(first).inbound.ticket
    follow_up = make_mail(
        sender=claire.email,
        subject="Re: Problème de VPN",
        body="J'oubliais : le message d'erreur est 809.",
        headers={"In-Reply-To": "<premier.42@client.example>"},
    )
    result = ingest_mail(follow_up)
    assert result.inbound.ticket == ticket
    assert result.inbound.outcome == Outcome.REPLIED
    assert Ticket.objects.count() == 1


def test_a_subject_tag_from_a_non_participant_opens_a_new_ticket(
    ticket_a: Ticket, karim: Any, ingest_mail: Any, make_mail: Any
) -> None:
    raw = make_mail(
        sender=karim.email,
        subject=f"Re: [{ticket_a.reference}] Le VPN se coupe",
        body="Moi aussi j'ai ce problème.",
    )
    result = ingest_mail(raw)
    assert result.inbound.outcome == Outcome.CREATED
    assert result.inbound.ticket != ticket_a
    assert not ticket_a.messages.exists()


def test_our_message_id_quoted_by_a_non_participant_does_not_attach(
    ticket_a: Ticket, karim: Any, ingest_mail: Any, make_mail: Any
) -> None:
    raw = make_mail(
        sender=karim.email,
        subject="Re: votre demande",
        body="Je réponds à la place de Claire.",
        headers={"In-Reply-To": OUR_REPLY_ID, "References": OUR_REPLY_ID},
    )
    result = ingest_mail(raw)
    assert result.inbound.ticket != ticket_a
    assert not ticket_a.messages.exists()
    # The new ticket says which one it seems to follow, for the desk to decide.
    assert result.inbound.ticket.links_out.filter(target=ticket_a).exists()


def test_a_copy_through_two_addresses_is_processed_once(
    ticket_a: Ticket, claire: Any, ingest_mail: Any, make_mail: Any
) -> None:
    raw = make_mail(
        sender=claire.email,
        to=f"{DESK}, assistance@relais.test",
        body="Réponse à tous.",
        message_id="<repondre.tous@client.example>",
        headers={"In-Reply-To": OUR_REPLY_ID, "Cc": "karim.benali@relais.test"},
    )
    ingest_mail(raw)
    ingest_mail(raw)
    assert ticket_a.messages.count() == 1
    assert InboundMessage.objects.count() == 1


def test_people_copied_on_a_new_request_watch_it(
    claire: Any, karim: Any, ingest_mail: Any, make_mail: Any
) -> None:
    raw = make_mail(sender=claire.email, headers={"Cc": "Karim <karim.benali@relais.test>"})
    ticket = ingest_mail(raw).inbound.ticket
    assert list(ticket.watchers.all()) == [karim]
    # …so that Karim's later answer on the thread joins the ticket.
    reply = make_mail(
        sender=karim.email,
        body="Même chose chez moi.",
        headers={"In-Reply-To": thread_root_id(ticket)},
    )
    assert ingest_mail(reply).inbound.ticket == ticket


def test_an_unknown_sender_becomes_the_contact_and_is_answered_at_their_address(
    ingest_mail: Any, make_mail: Any, smtp_server: Any
) -> None:
    raw = make_mail(sender="Jean Dupont <jean.dupont@gmail.example>", subject="Badge perdu")
    ticket = ingest_mail(raw).inbound.ticket
    assert ticket.contact_email == "jean.dupont@gmail.example"
    assert ticket.contact_name == "Jean Dupont"
    assert [m["To"] for m in smtp_server.messages] == ["jean.dupont@gmail.example"]
    # The contact's reply on the thread joins the ticket.
    reply = make_mail(
        sender="jean.dupont@gmail.example",
        body="Je l'ai retrouvé.",
        headers={"In-Reply-To": smtp_server.messages[0]["Message-ID"]},
    )
    result = ingest_mail(reply)
    assert result.inbound.ticket == ticket
    assert result.inbound.outcome == Outcome.REPLIED


def test_unknown_senders_can_be_quarantined_then_released(
    imap_mailbox: Any, admin_user: Any, ingest_mail: Any, make_mail: Any, smtp_server: Any
) -> None:
    from relais.mail.services import quarantine_release

    imap_mailbox.unknown_senders = UnknownSenders.QUARANTINE
    imap_mailbox.save()
    raw = make_mail(sender="inconnu@ailleurs.example", subject="Offre spéciale")
    result = ingest_mail(raw, mailbox=imap_mailbox)
    assert result.inbound.status == InboundStatus.QUARANTINED
    assert not Ticket.objects.exists() and not smtp_server.messages
    released = quarantine_release(inbound=result.inbound, actor=admin_user)
    assert released.ticket.contact_email == "inconnu@ailleurs.example"
    assert released.status == InboundStatus.PROCESSED


def test_a_message_without_message_id_is_still_processed_once(
    claire: Any, ingest_mail: Any, make_mail: Any
) -> None:
    raw = make_mail(sender=claire.email, message_id=None)
    first = ingest_mail(raw)
    assert first.inbound.key.startswith("sha256:")
    ingest_mail(raw)
    assert Ticket.objects.count() == 1


def test_attachments_are_kept_and_refused_ones_are_listed(
    claire: Any, ingest_mail: Any, make_mail: Any, settings: Any
) -> None:
    settings.UPLOAD_MAX_BYTES = 50_000
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    raw = make_mail(
        sender=claire.email,
        attachments=[
            ("capture d’écran.png", "image/png", png),
            ("énorme.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * 60_000),
            ("script.html", "text/html", b"<script>alert(1)</script>"),
        ],
    )
    ticket = ingest_mail(raw).inbound.ticket
    names = list(Attachment.objects.filter(ticket=ticket).values_list("original_name", flat=True))
    assert names == ["capture d’écran.png"]
    assert "énorme.pdf" in ticket.description and "script.html" in ticket.description


def test_html_mail_is_sanitised_and_its_cid_images_point_at_the_attachments(
    claire: Any, ingest_mail: Any
) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = claire.email
    message["To"] = DESK
    message["Subject"] = "Capture"
    message["Message-ID"] = "<html.1@client.example>"
    message.set_content(
        '<p onclick="steal()">Voici l\'écran <img src="cid:logo@x"> '
        '<img src="https://tracker.example/pixel.gif"></p><script>alert(1)</script>',
        subtype="html",
    )
    message.add_related(
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, maintype="image", subtype="png", cid="<logo@x>"
    )
    result = ingest_mail(message.as_bytes())
    inbound = result.inbound
    attachment = Attachment.objects.get(ticket=inbound.ticket)
    assert f"/pieces-jointes/{attachment.pk}/?inline=1" in inbound.original_html
    for forbidden in ("onclick", "<script", "tracker.example", "cid:"):
        assert forbidden not in inbound.original_html
    assert "Voici l'écran" in inbound.ticket.description


def test_a_reply_on_a_closed_ticket_opens_a_new_one_linked_to_it(
    ticket_a: Ticket, claire: Any, ingest_mail: Any, make_mail: Any
) -> None:
    Ticket.objects.filter(pk=ticket_a.pk).update(status=TicketStatus.CLOSED)
    raw = make_mail(
        sender=claire.email, body="Le problème revient.", headers={"In-Reply-To": OUR_REPLY_ID}
    )
    result = ingest_mail(raw)
    assert result.inbound.ticket != ticket_a
    assert result.inbound.ticket.links_out.filter(target=ticket_a).exists()


def test_inbound_message_ids_are_remembered_for_threading(
    claire: Any, ingest_mail: Any, make_mail: Any
) -> None:
    raw = make_mail(sender=claire.email, message_id="<souvenir@client.example>")
    ticket = ingest_mail(raw).inbound.ticket
    assert MailReference.objects.filter(
        message_id="<souvenir@client.example>", ticket=ticket, outbound=False
    ).exists()


def test_the_ticket_page_shows_the_contact_and_links_each_mail_to_its_original(
    sophie: Any, ingest_mail: Any, make_mail: Any
) -> None:
    from django.urls import reverse

    from tests.conftest import client_for

    first = ingest_mail(make_mail(sender="Jean Dupont <jean.dupont@gmail.example>")).inbound
    reply = ingest_mail(
        make_mail(
            sender="jean.dupont@gmail.example",
            body="Toujours en panne.",
            headers={"In-Reply-To": first.message_id},
        )
    ).inbound
    ticket = first.ticket
    page = client_for(sophie).get(reverse("tickets:detail", args=[ticket.reference]))
    html = page.content.decode()
    assert "jean.dupont@gmail.example" in html
    for inbound in (first, reply):
        assert reverse("mail:original", args=[ticket.reference, inbound.pk]) in html


def test_mail_failing_authentication_is_not_taken_for_the_colleague_it_names(
    ticket_a: Ticket, sophie: Any, ingest_mail: Any, make_mail: Any, settings: Any
) -> None:
    """SECURITY.md E5: a forged From of an agent cannot post an agent's public reply."""
    ticket_a.assignee = sophie
    ticket_a.save(update_fields=["assignee"])
    forged = make_mail(
        sender=sophie.email,
        body="Votre mot de passe est 1234, cliquez ici pour le changer.",
        headers={
            "In-Reply-To": OUR_REPLY_ID,
            "Authentication-Results": "mx.relais.test; spf=fail smtp.mailfrom=relais.test; "
            "dkim=none; dmarc=fail header.from=relais.test",
        },
    )
    result = ingest_mail(forged)
    assert not ticket_a.messages.filter(author=sophie).exists()
    assert result.inbound.ticket != ticket_a
    assert result.inbound.ticket.requester != sophie
    assert "authentication" in result.inbound.reason.lower()

    genuine = make_mail(
        sender=sophie.email,
        body="Le correctif est déployé.",
        headers={
            "In-Reply-To": OUR_REPLY_ID,
            "Authentication-Results": "mx.relais.test; spf=pass smtp.mailfrom=relais.test; "
            "dkim=pass header.d=relais.test; dmarc=pass header.from=relais.test",
        },
    )
    assert ingest_mail(genuine).inbound.ticket_message.author == sophie


def test_only_our_mta_verdict_counts_and_it_can_be_required(
    claire: Any, ingest_mail: Any, make_mail: Any, settings: Any
) -> None:
    settings.MAIL_AUTHSERV_ID = "mx.relais.test"
    settings.MAIL_REQUIRE_AUTHENTICATION = True
    # The sender wrote a "pass" of its own; our MTA's header says nothing: not trusted.
    raw = make_mail(
        sender=claire.email,
        headers={"Authentication-Results": "evil.example; dmarc=pass header.from=relais.test"},
    )
    ticket = ingest_mail(raw).inbound.ticket
    assert ticket.requester != claire and ticket.contact_email == claire.email
    trusted = make_mail(
        sender=claire.email,
        headers={"Authentication-Results": "mx.relais.test; dmarc=pass header.from=relais.test"},
    )
    assert ingest_mail(trusted).inbound.ticket.requester == claire


def test_a_misbehaving_autoresponder_cannot_keep_a_loop_going(
    admin_user: Any, ingest_mail: Any, make_mail: Any, smtp_server: Any
) -> None:
    """SECURITY.md E3: a robot that answers every mail, without any automatic-mail header and
    without threading, gets at most MAIL_SENDER_BURST answers from us."""
    robot = "repondeur@partenaire.example"
    ingest_mail(make_mail(sender=robot, subject="Bonjour"))
    answered = 0
    for _round in range(40):
        to_robot = [m for m in smtp_server.messages if m["To"] == robot][answered:]
        if not to_robot:
            break
        for mail in to_robot:
            answered += 1
            ingest_mail(make_mail(sender=robot, subject=f"Re: {mail['Subject']}"))
    assert answered <= 10
    assert [m for m in smtp_server.messages if m["To"] == admin_user.email]


def test_raw_8bit_utf8_headers_are_read_as_utf8(
    ingest_mail: Any, make_mail: Any, smtp_server: Any
) -> None:
    # Some mailers put UTF-8 straight into the headers instead of encoded words (RFC 6532).
    raw = make_mail(sender="Zoe Lefevre <zoe.lefevre@gmail.example>", subject="Imprimante HS")
    raw = raw.replace(b"Zoe Lefevre", "Zoé Lefèvre".encode()).replace(
        b"Imprimante HS", "Imprimante bloquée".encode()
    )
    result = ingest_mail(raw)
    assert result.inbound.status != InboundStatus.FAILED, result.inbound.reason
    ticket = result.inbound.ticket
    assert ticket.contact_name == "Zoé Lefèvre"
    assert ticket.title == "Imprimante bloquée"
    # Bytes that are not UTF-8 do not stop the message either.
    legacy = make_mail(sender="zoe.lefevre@gmail.example", subject="Ecran noir")
    legacy = legacy.replace(b"Ecran noir", "Écran noir".encode("cp1252"))
    assert ingest_mail(legacy).inbound.ticket.title.endswith("cran noir")
