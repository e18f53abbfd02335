"""Stored and reflected XSS checked by execution in Chromium (SECURITY.md B3), and dangerous
uploads opened in the browser (SECURITY.md D2).

Every text a user can write carries payloads that set `window.__xss` if they ever run: the
ticket title and body, a reply, an internal note, a knowledge-base article, a question and
its answer, an asset's serial number and notes, a monitored service's name, an incident's
text, a display name as the directory sets it, an attachment's file name, an inbound
e-mail's subject, From display name and HTML body, and query-string parameters. Each view
that shows them is opened for the roles that see it; `window.__xss` must stay unset and no
Content-Security-Policy violation may be reported (a violation would mean the escaping let
markup through and only the CSP stopped it)."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Browser, Error, Page, expect

from relais.accounts.choices import Role
from relais.accounts.entries import DirectoryEntry
from relais.accounts.models import Team
from relais.accounts.services import directory_user_apply
from relais.assets.models import AssetModel, AssetType
from relais.assets.services.park import AssetData, asset_create
from relais.community.services import answer_post, member_join, question_ask
from relais.core.models import OutboxMessage
from relais.kb.models import ArticleState
from relais.kb.services import ArticleDraft, article_create
from relais.mail.services import ingest
from relais.monitoring.choices import CheckKind, UpdateVisibility
from relais.monitoring.services.config import (
    check_create,
    group_get_or_create,
    maintenance_create,
    service_create,
)
from relais.monitoring.services.incidents import incident_create, incident_update_add
from relais.tickets.models import Attachment, Category, Ticket
from relais.tickets.services import ticket_open, ticket_reply
from relais.tickets.services.lifecycle import TicketDraft
from tests.e2e.conftest import log_in
from tests.e2e.site_map import reference_data
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MARK = "Zx9"  # a visible marker: the text is shown, as text


def payload(key: str) -> str:
    """The four public-baseline payloads (SECURITY.md B3) and an attribute breaker, each
    setting its own global `__xss_<key><n>` if it ever runs, so a failure names the field
    and the payload. Keys of two characters keep it within 200 characters (titles)."""
    mark = f"__xss_{key}"
    return (
        f'{MARK} <img src=x onerror="{mark}1=1"> [x](javascript:{mark}2=1) '
        f'<svg><animate onbegin="{mark}3=1" attributeName="x" dur="1s"></svg> '
        f"\"><script>{mark}4=1</script> ' onmouseover='{mark}5=1' x='"
    )


def short(key: str) -> str:
    """For fields of 64 characters or less (two-character keys)."""
    mark = f"__xss_{key}"
    return f'{MARK}\'" onmouseover={mark}a=1 "><img src=x onerror={mark}=1>'


# Installed in every page before its own scripts: records CSP violations.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI);
});
"""

# After a page has loaded: what ran, and what is left in the DOM that could run later (an
# event-handler attribute or a javascript: URL). Then every element is hovered, focused
# and entered (synthetic events reach inline handlers) and the marker is read again.
INSPECT = """
() => {
  const ran = () => Object.keys(window).filter((k) => k.startsWith("__xss"));
  const armed = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/\\s+/g, "").toLowerCase();
      if ((name.startsWith("on") && value.includes("__xss")) || value.startsWith("javascript:")) {
        armed.push(el.tagName + " " + name + "=" + attr.value.slice(0, 60));
      }
    }
  }
  for (const el of document.body.querySelectorAll("*")) {
    for (const type of ["mouseover", "mouseenter", "focus", "animationstart"]) {
      el.dispatchEvent(new Event(type, { bubbles: false }));
    }
  }
  return { ran: ran(), armed: armed, csp: window.__csp || [] };
}
"""


def new_page(browser: Browser, live_server: Any) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(20_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.csp_console = []  # type: ignore[attr-defined]
    page.dialogs = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda msg: (
            page.csp_console.append(msg.text)  # type: ignore[attr-defined]
            if "Content Security Policy" in msg.text
            else None
        ),
    )

    def dialog(opened: Any) -> None:
        page.dialogs.append(opened.message)  # type: ignore[attr-defined]
        opened.dismiss()

    page.on("dialog", dialog)
    return page


def assert_inert(page: Page, *, shown: bool = True) -> None:
    """No payload ran on the current page, none is armed in the DOM, hovering and clicking
    what user text rendered runs nothing, and the CSP saw nothing to block."""
    page.wait_for_timeout(150)  # an <img onerror> fires once the request for "x" fails
    where = page.url
    found = page.evaluate(INSPECT)
    assert found["ran"] == [], f"script ran on {where}: {found['ran']}"
    assert found["armed"] == [], f"handler or javascript: URL left on {where}: {found['armed']}"
    # The rendered Markdown links `[x](javascript:…)`: real hover and click.
    links = page.locator("main a", has_text="x").filter(has_not=page.locator("*"))
    for index in range(min(links.count(), 4)):
        link = links.nth(index)
        if link.inner_text().strip() == "x" and link.is_visible():
            link.hover()
            if not (link.get_attribute("href") or "").strip():
                link.click(no_wait_after=True)
    assert page.evaluate(INSPECT)["ran"] == [], f"a handler ran on {where}"
    assert page.evaluate("window.__csp") == [], f"CSP violation on {where}"
    assert page.csp_console == [], f"CSP report on {where}"  # type: ignore[attr-defined]
    assert page.dialogs == [], f"dialog opened on {where}"  # type: ignore[attr-defined]
    if shown:
        assert MARK in page.inner_text("body"), f"the payload is not shown on {where}"


def visit(page: Page, path: str, *, shown: bool = True) -> None:
    page.goto(path)
    assert_inert(page, shown=shown)


def raw_mail(sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = formataddr((short("mf"), sender))
    message["To"] = "support@relais.test"
    message["Subject"] = payload("ms")
    message["Message-ID"] = "<xss-1@example.test>"
    message.set_content(f"{MARK} texte")
    message.add_alternative(
        f"<html><body><p>{MARK}</p>{payload('mb')}"
        "<iframe src='javascript:__xss_mh1=1'></iframe>"
        '<a href="javascript:__xss_mh2=1">lien</a><form action="javascript:__xss_mh3=1">'
        '<button>b</button></form><object data="javascript:__xss_mh4=1"></object>'
        '<a href="jav&#x09;ascript:__xss_mh5=1">lien 2</a></body></html>',
        subtype="html",
    )
    return message.as_bytes()


@pytest.fixture
def hostile_content() -> dict[str, Any]:
    """Payloads written through the services, as the forms, the API, the directory sync and
    the mail gateway write them; one key per field."""
    reference_data()
    collaborator = UserFactory(role=Role.COLLABORATOR)
    agent = UserFactory(role=Role.AGENT)
    supervisor = UserFactory(role=Role.SUPERVISOR)
    admin = UserFactory(role=Role.ADMIN)
    # A colleague whose display name, department and office come from the directory, as
    # the directory sync writes them.
    named = directory_user_apply(
        entry=DirectoryEntry(
            dn="uid=xss,ou=people,dc=relais,dc=test",
            login="xss",
            email="xss@relais.test",
            display_name=f"Ana {short('dn')}",
            department=short("dd"),
            office=short("do"),
        )
    ).user
    assert named is not None
    category = Category.objects.filter(children__isnull=True, is_active=True).order_by("pk")[0]
    ticket = ticket_open(
        actor=agent,
        requester=named,
        watchers=[collaborator],
        draft=TicketDraft(
            category=category,
            title=payload("tt"),
            description=payload("td"),
            contact_name=short("tc"),
            attachments=[
                SimpleUploadedFile(f"{short('fn')}.txt", b"notes", content_type="text/plain"),
            ],
        ),
    )
    ticket_reply(ticket=ticket, actor=agent, body=f"Réponse {payload('tr')}")
    ticket_reply(ticket=ticket, actor=agent, body=f"Note {payload('tn')}", internal=True)
    article = article_create(
        draft=ArticleDraft(title=payload("at"), body=payload("ab"), tags=["vpn"]),
        actor=supervisor,
        state=ArticleState.PUBLISHED,
    )
    member_join(user=named)
    member_join(user=agent)
    question = question_ask(author=named, title=payload("qt"), body=payload("qb"))
    answer_post(question=question, author=agent, body=payload("qa"))
    # The catalogue is reference data written in Django's admin (no service of its own).
    model = AssetModel.objects.create(
        asset_type=AssetType.objects.create(name="Portable", kind="laptop"),
        manufacturer="Dell",
        name=payload("am")[:150],
    )
    asset = asset_create(
        actor=admin,
        data=AssetData(model=model, serial_number=short("sn"), notes=payload("an")),
    )
    group = group_get_or_create(actor=admin, name=short("sg"))
    service = service_create(
        actor=admin,
        data={
            "name": short("sv"),
            "description": payload("sd"),
            "group": group,
            "is_public": True,
        },
    )
    check_create(
        actor=admin, service=service, data={"name": short("ck"), "kind": CheckKind.HEARTBEAT}
    )
    incident = incident_create(
        actor=admin, service=service, title=payload("it"), body=payload("ib")
    )
    incident_update_add(
        actor=admin, incident=incident, body=payload("iu"), visibility=UpdateVisibility.PUBLIC
    )
    now = timezone.now()
    maintenance_create(
        actor=admin,
        title=payload("wt"),
        description=payload("wd"),
        services=[service],
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    ingest(raw_mail(collaborator.email))
    # The agent works in the teams the tickets were routed to (fixture set-up).
    for team in Team.objects.filter(tickets__isnull=False).distinct():
        team.members.add(agent)
    return {
        "collaborator": collaborator,
        "named": named,
        "agent": agent,
        "supervisor": supervisor,
        "admin": admin,
        "ticket": ticket,
        "article": article,
        "question": question,
        "asset": asset,
        "service": service,
        "incident": incident,
    }


def test_stored_and_reflected_payloads_never_run(
    browser: Browser, live_server: Any, hostile_content: dict[str, Any]
):
    data = hostile_content
    ticket: Ticket = data["ticket"]
    mailed = Ticket.objects.exclude(pk=ticket.pk).get()
    from relais.mail.models import InboundMessage

    inbound = InboundMessage.objects.get()
    q = quote(payload("qs"))
    js = quote("javascript:__xss_nx=1")
    # Query strings the pages echo: free text, and invalid choices that forms name in their
    # error messages.
    filters = "&".join(
        f"{name}={quote(payload('f' + str(n)))}"
        for n, name in enumerate(["status", "priority", "type", "ordering", "queue", "team"])
    )

    # Anonymous: the public status page (service, group, incident update, maintenance), the
    # login page echoing `next` (text and javascript:), its error re-render, the 404 page.
    page = new_page(browser, live_server)
    visit(page, "/veille/statut-public/")
    visit(page, f"/connexion/?next={q}", shown=False)
    visit(page, f"/connexion/?next={js}", shown=False)
    page.get_by_label("Adresse e-mail").fill(short("le"))
    page.get_by_label("Mot de passe").fill("x")
    page.get_by_role("button", name="Se connecter").click()
    assert_inert(page, shown=False)
    visit(page, f"/{quote(short('nf'))}/", shown=False)
    page.context.close()

    # A collaborator: the portal, their requests (one by e-mail), the ticket they watch
    # (title, body, reply, file name, the requester's directory name), the knowledge base,
    # the question, the search, and the new-request form re-rendered with an error.
    page = new_page(browser, live_server)
    log_in(page, data["collaborator"].email, PASSWORD)
    assert_inert(page, shown=False)
    visit(page, f"/demandes/?{filters}", shown=False)
    visit(page, "/demandes/")
    visit(page, f"/demandes/{ticket.reference}/")
    expect(page.get_by_text(f"Note {MARK}")).to_have_count(0)  # internal notes stay inside
    visit(page, f"/demandes/{mailed.reference}/")
    visit(page, f"/connaissances/{data['article'].pk}/")
    visit(page, f"/entraide/questions/{data['question'].pk}/")
    visit(page, f"/recherche/?q={q}")
    visit(page, f"/connaissances/?q={q}", shown=False)
    visit(page, f"/entraide/?q={q}", shown=False)
    page.goto(f"/demandes/nouvelle/?categorie={ticket.category_id}")
    page.locator("#id_title").fill(payload("ft"))
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator(".field__error").first).to_be_visible()
    assert page.locator("#id_title").input_value() == payload("ft")
    assert_inert(page, shown=False)
    page.context.close()

    # An agent: the queue with its echoed filters, the ticket with its internal note, the
    # park, the directory, the watch, the e-mail original.
    page = new_page(browser, live_server)
    log_in(page, data["agent"].email, PASSWORD)
    visit(page, "/guichet/?queue=all")
    visit(page, f"/guichet/?q={q}&{filters}", shown=False)
    visit(page, f"/demandes/{ticket.reference}/")
    expect(page.get_by_text(f"Note {MARK}")).to_have_count(1)
    visit(page, f"/demandes/{mailed.reference}/")
    visit(page, f"/demandes/{mailed.reference}/courriels/{inbound.pk}/")
    visit(page, "/parc/")
    visit(page, f"/parc/?q={q}&etat={q}", shown=False)
    visit(page, f"/parc/{data['asset'].pk}/")
    visit(page, "/annuaire/")
    visit(page, f"/annuaire/?q={q}", shown=False)
    visit(page, f"/annuaire/{data['named'].pk}/")
    visit(page, "/veille/statut/")
    visit(page, f"/veille/services/{data['service'].pk}/")
    visit(page, "/veille/incidents/")
    visit(page, f"/veille/incidents/{data['incident'].pk}/")
    visit(page, f"/recherche/?q={q}")
    page.context.close()

    # A supervisor edits other people's posts: the article and the question in their forms.
    page = new_page(browser, live_server)
    log_in(page, data["supervisor"].email, PASSWORD)
    visit(page, f"/connaissances/{data['article'].pk}/modifier/", shown=False)
    assert page.locator("#id_title").input_value() == payload("at")
    visit(page, f"/connaissances/{data['article'].pk}/historique/")
    visit(page, f"/entraide/questions/{data['question'].pk}/modifier/", shown=False)
    assert page.locator("#id_title").input_value() == payload("qt")
    visit(page, "/administration/courriels/")
    visit(page, f"/administration/courriels/{inbound.pk}/")
    visit(page, "/rapports/", shown=False)
    page.context.close()

    # An administrator: the watch's settings, the outbox and Django's back-office lists
    # (tickets, people, the asset catalogue, the security log that names the service, the
    # searches without results that keep what people typed).
    page = new_page(browser, live_server)
    log_in(page, data["admin"].email, PASSWORD)
    visit(page, f"/veille/services/{data['service'].pk}/modifier/", shown=False)
    visit(page, "/veille/configuration/", shown=False)
    visit(page, "/administration/envois/", shown=False)
    for listing in (
        "tickets/ticket",
        "accounts/user",
        "accounts/orgunit",
        "assets/assetmodel",
        "core/auditlogentry",
        "search/zeroresultquery",
    ):
        # The security log and the searches list show their entries' kinds, not the text.
        visit(
            page,
            f"/django-admin/{listing}/",
            shown=listing.startswith(("tickets", "accounts", "assets")),
        )
    page.context.close()

    # The notification e-mails, opened as a mail client would: no CSP there, so the HTML
    # itself must be inert.
    htmls = [
        message.payload["html"]
        for message in OutboxMessage.objects.order_by("pk")
        if message.payload.get("html")
    ]
    assert len(htmls) >= 2
    page = new_page(browser, live_server)
    for html in htmls:
        page.set_content(html)
        assert_inert(page, shown=False)
    page.context.close()


def test_dangerous_uploads_never_run_script_in_the_browser(browser: Browser, live_server: Any):
    """D2: markup is refused at upload; what is accepted (a PNG with HTML after its header,
    text with markup inside) is served so that Chromium runs nothing, even inline, and even
    if the download disposition were lost: the sandboxing CSP alone stops the script."""
    reference_data()
    requester = UserFactory(role=Role.COLLABORATOR)
    category = Category.objects.filter(children__isnull=True, is_active=True).order_by("pk")[0]
    ticket = ticket_open(
        actor=requester,
        draft=TicketDraft(category=category, title="Pièces", description="Voir les fichiers."),
    )
    script = b"<script>window.__xss=1</script>"
    for name, content in [
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>window.__xss=1</script></svg>'),
        ("x.html", b"<html><body>" + script + b"</body></html>"),
        ("x.xhtml", b'<html xmlns="http://www.w3.org/1999/xhtml">' + script + b"</html>"),
        ("x.png", b"<html>" + script + b"</html>"),
    ]:
        with pytest.raises(ValidationError):
            ticket_reply(
                ticket=ticket,
                actor=requester,
                body="fichier",
                attachments=[SimpleUploadedFile(name, content, content_type="image/png")],
            )
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    ticket_reply(
        ticket=ticket,
        actor=requester,
        body="fichiers",
        attachments=[
            SimpleUploadedFile("polyglot.png", png + b"<html>" + script, content_type="image/png"),
            SimpleUploadedFile("notes.txt", b"Bonjour\n" + script, content_type="text/html"),
        ],
    )
    polyglot = Attachment.objects.get(original_name="polyglot.png")
    notes = Attachment.objects.get(original_name="notes.txt")
    assert (polyglot.content_type, notes.content_type) == ("image/png", "text/plain")

    page = new_page(browser, live_server)
    log_in(page, requester.email, PASSWORD)
    # Shown inline, the polyglot is an image and nothing else.
    response = page.goto(f"/pieces-jointes/{polyglot.pk}/?inline=1")
    assert response is not None and response.headers["content-type"] == "image/png"
    assert response.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert page.evaluate("window.__xss") is None
    # Everything else is a download: opening the URL renders nothing.
    for attachment in (polyglot, notes):
        with page.expect_download() as download:
            try:
                page.goto(f"/pieces-jointes/{attachment.pk}/")
            except Error as exc:  # the navigation became a download
                assert "Download is starting" in str(exc) or "ERR_ABORTED" in str(exc)
        assert download.value.suggested_filename == attachment.original_name
    # Were the disposition lost and the type taken for HTML, the sandbox still holds.
    for attachment in (polyglot, notes):
        url = f"{live_server.url}/pieces-jointes/{attachment.pk}/"

        def as_html_page(route: Any) -> None:
            original = route.fetch()
            headers = {
                k: v for k, v in original.headers.items() if k.lower() != "content-disposition"
            }
            route.fulfill(
                status=200, headers={**headers, "content-type": "text/html"}, body=original.body()
            )

        page.route(url, as_html_page)
        page.goto(url)
        assert "window.__xss" in page.content()  # the markup is there, rendered as HTML
        assert page.evaluate("window.__xss") is None
        page.unroute(url)
    page.context.close()
