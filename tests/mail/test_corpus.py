"""The corpus of real-world-shaped messages (tests/mail/corpus, described in manifest.yaml):
each is read correctly, classified correctly, and ends up where it belongs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from relais.mail.choices import InboundStatus, Outcome
from relais.mail.classify import classify
from relais.mail.models import Correspondent, MailReference
from relais.mail.parsing import parse
from relais.mail.quoting import extract_reply
from relais.tickets.choices import EventKind
from relais.tickets.models import Ticket
from tests.mail.conftest import DESK, OUR_ACK_ID, OUR_REPLY_ID, corpus_bytes, manifest

ENTRIES = manifest()
AUTOMATIC_KINDS = {"auto_reply", "bulk", "loop", "bounce", "delay"}
# Replies whose signature has no marker at all (no "-- ", no "Cordialement"…): a name and a
# job title under the text. They are kept: cutting unmarked lines would cut real content.
UNMARKED_SIGNATURES = {"23-reply-apple-mail-fr.eml", "28-reply-agent-sophie-outlook.eml"}
OWN = {DESK, "assistance@relais.test"}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def test_the_corpus_has_every_shape_of_mail() -> None:
    assert len(ENTRIES) >= 30
    kinds = {entry["kind"] for entry in ENTRIES}
    assert {"new", "reply", "forward", "auto_reply", "bulk", "loop", "bounce", "delay"} <= kinds
    clients = {entry["client"] for entry in ENTRIES}
    assert {"outlook", "gmail", "apple", "iphone", "thunderbird"} <= clients


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_each_message_is_read_and_classified(entry: dict[str, Any]) -> None:
    parsed = parse(corpus_bytes(entry["file"]))
    assert parsed.subject == _norm(entry["subject"])
    assert parsed.sender == entry["from"].lower()
    assert parsed.message_id == (entry["message_id"] or "")
    verdict = classify(parsed, OWN)
    assert verdict.automatic == (entry["kind"] in AUTOMATIC_KINDS), verdict.reason
    if entry["kind"] in {"bounce", "delay"}:
        assert verdict.bounce is not None
        assert verdict.bounce.permanent == (entry["kind"] == "bounce")
        if entry.get("bounced_address"):
            assert entry["bounced_address"] in verdict.bounce.recipients
        return
    names = sorted(part.filename for part in parsed.attachments)
    assert names == sorted(entry["attachments"] or [])
    assert "\ufffd" not in parsed.text  # every charset decoded, none replaced
    text = extract_reply(parsed.text) if entry["kind"] == "reply" else parsed.text
    if entry.get("reply_text"):
        assert _norm(entry["reply_text"]) in _norm(text)
    if entry["kind"] == "reply":
        quoted, *signature = entry.get("must_not_contain") or [None]
        if quoted:
            assert _norm(quoted) not in _norm(text)
        if signature and entry["file"] not in UNMARKED_SIGNATURES:
            assert _norm(signature[0]) not in _norm(text)
    for cid in entry.get("inline_cid") or []:
        assert cid in {part.content_id for part in parsed.attachments}


@pytest.fixture
def corpus_ticket_a(claire: Any, sophie: Any, ingest_mail: Any) -> Ticket:
    """Ticket A as the corpus tells it: opened by Claire's Outlook mail (01), with our
    acknowledgement and Sophie's reply recorded as sent to Claire."""
    ticket = ingest_mail(corpus_bytes("01-outlook-new-vpn-ticket-a.eml")).inbound.ticket
    for message_id in (OUR_ACK_ID, OUR_REPLY_ID):
        MailReference.objects.create(
            message_id=message_id, ticket=ticket, outbound=True, address=claire.email
        )
    ticket.assignee = sophie
    ticket.save(update_fields=["assignee"])
    return ticket


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_each_message_ends_up_where_it_belongs(
    entry: dict[str, Any],
    corpus_ticket_a: Ticket,
    karim: Any,
    ingest_mail: Any,
    smtp_server: Any,
) -> None:
    if entry["file"].startswith("01-"):
        return  # it opened ticket A
    smtp_server.handler.reset()
    result = ingest_mail(corpus_bytes(entry["file"]))
    inbound = result.inbound
    kind = entry["kind"]
    replied_to_sender = [
        m for m in smtp_server.messages if entry["from"].lower() in m["To"].lower()
    ]
    if kind in AUTOMATIC_KINDS:
        assert replied_to_sender == [], "no automatic reply to automatic mail"
        assert inbound.status in {InboundStatus.SET_ASIDE, InboundStatus.PROCESSED}
        assert inbound.outcome in {Outcome.AUTOMATIC, Outcome.BOUNCE, Outcome.DELAY}
        if inbound.outcome == Outcome.AUTOMATIC and inbound.ticket_id:
            assert inbound.ticket == corpus_ticket_a  # an out-of-office on the thread: a note
            assert inbound.ticket_message.kind == "note"
    if kind == "bounce" and entry.get("bounced_address") == "claire.martin@relais.test":
        assert Correspondent.objects.get(address=entry["bounced_address"]).bouncing_since
        assert corpus_ticket_a.events.filter(kind=EventKind.DELIVERY_FAILED).exists()
    if kind == "delay":
        assert not Correspondent.objects.filter(bouncing_since__isnull=False).exists()
    if kind == "reply" and entry["participant"]:
        assert inbound.outcome == Outcome.REPLIED
        assert inbound.ticket == corpus_ticket_a
        assert _norm(entry["reply_text"]) in _norm(inbound.ticket_message.body)
    elif kind in {"new", "forward", "odd"} or (kind == "reply" and not entry["participant"]):
        assert inbound.outcome == Outcome.CREATED, inbound.reason
        assert inbound.ticket != corpus_ticket_a
        assert not corpus_ticket_a.messages.exists()
        if entry.get("reply_text"):
            assert _norm(entry["reply_text"]) in _norm(inbound.ticket.description)
