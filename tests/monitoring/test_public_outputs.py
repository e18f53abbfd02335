"""What anyone sees of the watch (SECURITY.md A6, J1): the status page and its JSON, and per
public service the badges, the history and the feeds. Private services are 404, exactly like
missing ones; no internal detail leaves; outputs are cached yet never stale after a change
made through the services."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from relais.accounts.models import User
from relais.monitoring import services
from relais.monitoring.choices import CheckState
from relais.monitoring.executors import Outcome
from relais.monitoring.models import Check, Incident, Service
from tests.core.test_redis import redis_mode, redis_server  # noqa: F401 (fixtures)
from tests.monitoring.conftest import http_check
from tests.redis_server import redis_available
from tests.test_routes import PUBLIC, REGISTRY

ATOM = "{http://www.w3.org/2005/Atom}"


def parse_xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 (this server's own output, in a test)


def record(check: Check, states: str, *, start: Any = None, detail: str = "refused") -> None:
    """Results through the prober's own entry point: U up, D down (refused)."""
    start = start or timezone.now()
    services.results_record(
        results=[
            services.ProbeResult(
                check.pk,
                start + timedelta(seconds=n),
                Outcome(CheckState.UP, 12.0, 200)
                if letter == "U"
                else Outcome(CheckState.DOWN, None, None, "refused", detail),
            )
            for n, letter in enumerate(states)
        ]
    )


def urls(service: Service) -> dict[str, str]:
    base = f"/veille/statut-public/services/{service.pk}"
    return {
        "badge": f"{base}/badge.svg",
        "uptime 24h": f"{base}/disponibilite.svg",
        "uptime 7j": f"{base}/disponibilite.svg?periode=7j",
        "uptime 30j": f"{base}/disponibilite.svg?periode=30j",
        "history": f"{base}/historique.json",
        "atom": f"{base}/flux.atom",
        "rss": f"{base}/flux.rss",
    }


@pytest.fixture
def private_service(admin_user: User) -> Service:
    service = services.service_create(actor=admin_user, data={"name": "Paie"})
    http_check(admin_user, service, "http://127.0.0.1:9/paie", name="paie")
    return service


def test_a_public_service_has_badges_history_and_feeds(
    admin_user: User, agent: User, vpn_check: Check, django_assert_max_num_queries: Any
) -> None:
    # An hour ago: 3 answers out of 4; rolled up. Now: down (refused three times).
    hour_ago = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    record(vpn_check, "UUUD", start=hour_ago)
    services.rollups_compute()
    record(vpn_check, "DDD")
    incident = Incident.objects.get()
    services.incident_update_add(
        actor=agent, incident=incident, body="Lien <b>opérateur</b> coupé.", visibility="public"
    )
    client = Client()
    paths = urls(vpn_check.service)

    with django_assert_max_num_queries(5):
        badge = client.get(paths["badge"])
    assert badge.status_code == 200 and badge["Content-Type"].startswith("image/svg+xml")
    assert "<title>VPN : panne</title>" in badge.content.decode()
    assert 'role="img"' in badge.content.decode()
    for period in ("24h", "7j", "30j"):
        svg = client.get(paths[f"uptime {period}"]).content.decode()
        assert "75,00 %" in svg and "disponibilité" in svg, period
    assert client.get(paths["uptime 24h"] + "?periode=1an").status_code == 404

    with django_assert_max_num_queries(8):
        history = client.get(paths["history"]).json()
    assert history["name"] == "VPN" and history["status"] == "down"
    assert history["uptime"] == {"24h": 75.0, "7j": 75.0, "30j": 75.0}
    assert len(history["days"]) == 90 and history["days"][-1]["uptime"] == 75.0
    assert [i["title"] for i in history["incidents"]] == ["VPN est indisponible"]
    assert history["incidents"][0]["updates"][0]["body"] == "Lien <b>opérateur</b> coupé."

    atom = parse_xml(client.get(paths["atom"]).content)
    entries = atom.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["VPN — VPN est indisponible"]
    summary = entries[0].findtext(f"{ATOM}summary") or ""
    assert "Lien &lt;b&gt;opérateur&lt;/b&gt; coupé." in summary  # text, never markup
    link = entries[0].find(f"{ATOM}link")
    assert link is not None
    assert link.get("href", "").endswith(f"/veille/statut-public/#incident-{incident.pk}")
    rss = parse_xml(client.get(paths["rss"]).content)
    assert [i.findtext("title") for i in rss.iter("item")] == ["VPN — VPN est indisponible"]
    everything = parse_xml(client.get("/veille/statut-public/flux.atom").content)
    assert len(everything.findall(f"{ATOM}entry")) == 1

    # The public page links them (French labels).
    page = client.get("/veille/statut-public/").content.decode()
    for label, path in (
        ("Badge d’état", paths["badge"]),
        ("Badge de disponibilité (30 jours)", paths["uptime 30j"]),
        ("Historique (JSON)", paths["history"]),
        ("Flux (Atom)", paths["atom"]),
    ):
        assert f'href="{path}"' in page.replace("&amp;", "&") and label in page
    assert 'type="application/atom+xml"' in page and 'href="/veille/statut-public/flux.rss"' in page


def _normalised(response: Any, pk: int) -> tuple[bytes, dict[str, str]]:
    """Body and headers, without what differs from one request to the next anyway: the date,
    the masked CSRF token and CSP nonce of the page's forms and scripts, and the requested id
    (the page's language switch sends the visitor back to the same address)."""
    body = re.sub(rb'(csrfmiddlewaretoken" value=")[^"]+', rb"\1x", response.content)
    body = re.sub(rb"nonce=\"[^\"]+", b"nonce", body)
    body = body.replace(f"/services/{pk}/".encode(), b"/services/ID/")
    headers = {
        k: re.sub(r"'nonce-[^']+'", "'nonce'", v)
        for k, v in response.headers.items()
        if k not in ("Date", "Content-Length")
    }
    return body, headers


def test_a_private_service_is_the_same_404_as_a_missing_one_everywhere(
    vpn_check: Check, private_service: Service
) -> None:
    missing = Service(pk=private_service.pk + 1000)
    client = Client()
    for (name, private_path), missing_path in zip(
        urls(private_service).items(), urls(missing).values(), strict=True
    ):
        hidden, absent = client.get(private_path), client.get(missing_path)
        assert hidden.status_code == absent.status_code == 404, name
        assert _normalised(hidden, private_service.pk) == _normalised(absent, missing.pk), name
    for path in urls(vpn_check.service).values():
        assert client.get(path).status_code == 200, path
    # Signed in as staff changes nothing: these are the anonymous outputs.
    assert Client().get(urls(private_service)["history"]).status_code == 404


CANARIES = (
    "canary-host.corp.internal",
    "10.66.77.88",
    "canary-secret-path",
    "47613",
    "CANARY_ECONNREFUSED",
    "PaieCanary",
)
EVERYWHERE = " ".join(CANARIES)
SHORT = f"{CANARIES[0]} {CANARIES[1]}:{CANARIES[3]} {CANARIES[4]}"  # for 100-character fields


def _anonymous_get_routes() -> list[str]:
    """Every GET route the registry opens to anyone (tests/permissions/routes.yaml)."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and not route.startswith(("api/", "django-admin")):
                path = "/" + route
                if REGISTRY["html"].get(path, {}).get("GET") == PUBLIC:
                    found.append(path)

    walk(get_resolver().url_patterns, "")
    return found


def test_no_internal_detail_reaches_any_anonymous_output(
    admin_user: User, agent: User, vpn_service: Service, private_service: Service
) -> None:
    """A canary host name, address, URL, port and error text in every field an administrator
    or the prober fills, for a private and a public service; only the names and texts an
    administrator publishes (the public service's name, incident titles and public updates,
    maintenance titles) may be shown. Every anonymous GET route is called with both ids."""
    for kind, value in (("cidr", "10.66.0.0/16"), ("domain", "corp.internal")):
        services.allow_entry_add(actor=admin_user, kind=kind, value=value)
    internal_group = services.group_get_or_create(actor=admin_user, name=f"Groupe {SHORT}")
    services.service_update(
        actor=admin_user,
        service=private_service,
        data={
            "name": f"PaieCanary {CANARIES[0]}",
            "description": EVERYWHERE,
            "group": internal_group,
        },
    )
    services.service_update(actor=admin_user, service=vpn_service, data={"description": EVERYWHERE})
    checks = []
    for service in (vpn_service, private_service):
        checks.append(
            http_check(
                admin_user,
                service,
                "http://10.66.77.88:47613/canary-secret-path",
                name=f"Contrôle {SHORT}",
                config={"keyword": EVERYWHERE, "headers": {"Host": CANARIES[0]}},
            )
        )
    detail = f"CANARY_ECONNREFUSED {CANARIES[0]} 10.66.77.88:47613 /canary-secret-path"
    hour_ago = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    for check in checks:
        record(check, "UD", start=hour_ago, detail=detail)
    services.rollups_compute()
    for check in checks:
        record(check, "DDD", detail=detail)
    for incident in Incident.objects.all():
        services.incident_update_add(
            actor=agent, incident=incident, body=f"Note {EVERYWHERE}", visibility="internal"
        )
    now = timezone.now()
    services.maintenance_create(
        actor=admin_user,
        title="Migration du cœur de réseau",
        services=[vpn_service, private_service],
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
    )
    services.incident_create(
        actor=agent, service=private_service, title="Paie lente", body="Lenteurs."
    )

    outputs: dict[str, str] = {}
    client = Client()
    routes = _anonymous_get_routes()
    assert "/veille/statut-public/services/<int:pk>/badge.svg" in routes
    for route in routes:
        if "<str:token>" in route:
            continue  # a subscriber's or a job's secret link: no service data behind it
        ids = [vpn_service.pk, private_service.pk] if "<int:pk>" in route else [None]
        for pk in ids:
            path = route.replace("<int:pk>", str(pk))
            for query in ("", "?periode=7j", "?periode=30j"):
                response = client.get(path + query)
                outputs[path + query] = response.content.decode(errors="replace")
    assert len(outputs) > 20
    public_page = outputs["/veille/statut-public/"]
    assert "VPN" in public_page and "Migration du cœur de réseau" in public_page
    for path, text in outputs.items():
        for canary in CANARIES:
            assert canary not in text, (path, canary)
    assert "Paie lente" not in "".join(outputs.values())


def test_the_cached_page_carries_no_nonce_and_no_inline_code(vpn_check: Check) -> None:
    """The page's bytes are shared by every visitor (cached), so they must hold nothing that
    is valid for one response only: no CSP nonce, hence no inline script or style."""
    client = Client()
    first, second = client.get("/veille/statut-public/"), client.get("/veille/statut-public/")
    page = first.content.decode()
    assert first.content == second.content
    assert "nonce" not in page
    assert re.findall(r"<script(?![^>]*\ssrc=)", page) == []
    assert "<style" not in page and " style=" not in page
    assert "nonce" not in first.get("Content-Security-Policy", "")


@pytest.fixture(params=["local memory", "redis"])
def cache_backend(request: pytest.FixtureRequest) -> str:
    """The embedded mode's cache, and Redis (shared by every web node) as REDIS_URL sets it."""
    if request.param == "redis":
        if not redis_available():
            pytest.skip("redis-server is not installed (scripts/test-services.sh installs it)")
        request.getfixturevalue("redis_mode")
    return str(request.param)


def test_a_change_through_the_services_is_shown_at_the_next_request(
    cache_backend: str,
    admin_user: User,
    agent: User,
    vpn_check: Check,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    paths = [
        "/veille/statut-public/",
        "/veille/statut-public.json",
        *urls(vpn_check.service).values(),
    ]
    record(vpn_check, "U")
    for path in paths:
        client.get(path)
    with django_assert_max_num_queries(0):  # all cached
        for path in paths:
            assert client.get(path).status_code == 200
    assert client.get("/veille/statut-public.json").json()["status"] == "operational"

    with django_capture_on_commit_callbacks(execute=True):
        record(vpn_check, "DDD")  # the prober's path: the service goes down
    assert client.get("/veille/statut-public.json").json()["status"] == "down"
    assert 'data-state="down"' in client.get("/veille/statut-public/").content.decode()
    assert "panne" in client.get(urls(vpn_check.service)["badge"]).content.decode()

    incident = Incident.objects.get()
    client.get("/veille/statut-public/")
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update_add(
            actor=agent, incident=incident, body="Opérateur prévenu.", visibility="public"
        )
    assert "Opérateur prévenu." in client.get("/veille/statut-public/").content.decode()
    assert "Opérateur prévenu." in client.get(urls(vpn_check.service)["atom"]).content.decode()

    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.maintenance_create(
            actor=admin_user,
            title="Bascule du concentrateur",
            services=[vpn_check.service],
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
        )
    assert "Bascule du concentrateur" in client.get("/veille/statut-public/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.service_update(
            actor=admin_user, service=vpn_check.service, data={"is_public": False}
        )
    assert client.get(urls(vpn_check.service)["badge"]).status_code == 404
    assert client.get("/veille/statut-public.json").json()["components"] == []
