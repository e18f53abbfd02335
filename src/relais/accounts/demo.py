"""Demo organisation: directions and services, sites, support teams and ~200 people."""

from __future__ import annotations

import unicodedata

from relais.accounts.choices import OrgUnitKind, Role, SiteKind
from relais.accounts.models import OrgUnit, Site, Team, User
from relais.core.demo import DEMO_PASSWORD, DemoContext

DIRECTIONS = {
    ("dg", "Direction générale"): ["Secrétariat général", "Communication"],
    ("dprox", "Direction de la proximité"): [
        "Agences de proximité",
        "Gardiennage",
        "Relation locataires",
    ],
    ("dpat", "Direction du patrimoine"): ["Maintenance", "Travaux et réhabilitation"],
    ("dgl", "Direction de la gestion locative"): [
        "Attributions",
        "Contentieux",
        "Charges locatives",
    ],
    ("drh", "Direction des ressources humaines"): ["Paie", "Formation"],
    ("dfin", "Direction financière"): ["Comptabilité", "Contrôle de gestion"],
    ("dun", "Direction des usages numériques"): [
        "Support utilisateurs",
        "Infrastructures et réseaux",
        "Applications métier",
    ],
}

SITES = [
    ("siege", "Siège — Paris 13e", SiteKind.HEAD_OFFICE, "21 bis rue Claude-Bernard, 75005 Paris"),
    ("agence-nord", "Agence Nord — Paris 18e", SiteKind.AGENCY, "12 rue Championnet, 75018 Paris"),
    ("agence-est", "Agence Est — Paris 20e", SiteKind.AGENCY, "48 rue des Pyrénées, 75020 Paris"),
    ("agence-sud", "Agence Sud — Paris 14e", SiteKind.AGENCY, "7 rue d'Alésia, 75014 Paris"),
    ("agence-ouest", "Agence Ouest — Paris 17e", SiteKind.AGENCY, "30 rue Guy-Môquet, 75017 Paris"),
    ("agence-centre", "Agence Centre — Paris 11e", SiteKind.AGENCY, "5 rue Oberkampf, 75011 Paris"),
    ("res-belleville", "Résidence Belleville", SiteKind.BUILDING, "90 boulevard de Belleville"),
    ("res-olympiades", "Résidence Olympiades", SiteKind.BUILDING, "Dalle des Olympiades, 75013"),
    ("magasin", "Magasin informatique", SiteKind.STOCK_ROOM, "Siège, sous-sol"),
]

TEAMS = [
    ("support-n1", "Centre de services (N1)"),
    ("poste-mobilite", "Poste de travail et mobilité"),
    ("reseau-vpn", "Réseau et VPN"),
    ("applications", "Applications métier"),
    ("messagerie", "Messagerie et outils collaboratifs"),
]

FIRST_NAMES = [
    "Camille",
    "Julien",
    "Sophie",
    "Nadia",
    "Thomas",
    "Léa",
    "Karim",
    "Chloé",
    "Mathieu",
    "Inès",
    "Nicolas",
    "Manon",
    "Mohamed",
    "Sarah",
    "Antoine",
    "Émilie",
    "Youssef",
    "Julie",
    "François",
    "Aïcha",
    "Pierre",
    "Claire",
    "Mamadou",
    "Laura",
    "Sébastien",
    "Fatoumata",
    "Hélène",
    "Rachid",
    "Céline",
    "Jérôme",
    "Amélie",
    "Olivier",
    "Samira",
    "Laurent",
    "Anaïs",
    "Stéphane",
    "Nathalie",
    "Benoît",
    "Élodie",
    "Hugo",
    "Zoé",
    "Grégoire",
    "Océane",
    "Loïc",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Laurent",
    "Benali",
    "Dubois",
    "Durand",
    "Lefèvre",
    "Moreau",
    "Diallo",
    "Girard",
    "Roux",
    "Fontaine",
    "Haddad",
    "Mercier",
    "Bonnet",
    "N'Diaye",
    "Lambert",
    "Faure",
    "Rousseau",
    "Chevalier",
    "Traoré",
    "Garnier",
    "Perrin",
    "Morel",
    "Nguyen",
    "Gauthier",
    "Boucher",
    "Da Silva",
    "Lemaire",
    "Caron",
    "Meyer",
    "Rolland",
    "Kaci",
    "Barbier",
    "Picard",
    "Renaud",
    "Aubert",
    "Petitjean",
    "Brunet",
    "Colin",
]

NAMED_USERS = [
    ("collaborateur@relais.test", "Camille Martin", Role.COLLABORATOR, "dprox", "agence-nord"),
    ("agent@relais.test", "Julien Bernard", Role.AGENT, "dun", "siege"),
    ("superviseur@relais.test", "Sophie Laurent", Role.SUPERVISOR, "dun", "siege"),
    ("admin@relais.test", "Nadia Benali", Role.ADMIN, "dun", "siege"),
]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return folded.lower().replace(" ", "-").replace("'", "")


def seed(ctx: DemoContext) -> str:
    rng = ctx.rng
    directions: dict[str, OrgUnit] = {}
    services: list[OrgUnit] = []
    for (code, name), service_names in DIRECTIONS.items():
        direction = OrgUnit.objects.create(code=code, name=name, kind=OrgUnitKind.DIRECTION)
        directions[code] = direction
        for index, service_name in enumerate(service_names, start=1):
            services.append(
                OrgUnit.objects.create(
                    code=f"{code}-{index}",
                    name=service_name,
                    kind=OrgUnitKind.SERVICE,
                    parent=direction,
                )
            )
    sites = {
        code: Site.objects.create(code=code, name=name, kind=kind, address=address)
        for code, name, kind, address in SITES
    }
    teams = {
        code: Team.objects.create(code=code, name=name, email=f"{code}@relais.test")
        for code, name in TEAMS
    }

    # One hash for everyone: hashing 200 passwords with argon2 would take a minute.
    template = User(email="template@relais.test")
    template.set_password(DEMO_PASSWORD)
    password_hash = template.password

    people: list[User] = []
    for email, name, role, direction_code, site_code in NAMED_USERS:
        people.append(
            User(
                email=email,
                display_name=name,
                role=role,
                password=password_hash,
                org_unit=next(s for s in services if s.parent_id == directions[direction_code].pk),
                site=sites[site_code],
                phone=f"01 44 {rng.randint(10, 99)} {rng.randint(10, 99)} 00",
            )
        )
    used = {email for email, *_rest in NAMED_USERS}
    field_sites = [s for s in sites.values() if s.kind != SiteKind.STOCK_ROOM]
    dun_services = [s for s in services if s.parent_id == directions["dun"].pk]
    roles = [Role.AGENT] * 18 + [Role.SUPERVISOR] * 3 + [Role.ADMIN] * 2 + [Role.COLLABORATOR] * 173
    for role in roles:
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{_ascii(first)}.{_ascii(last)}@relais.test"
            if email not in used:
                used.add(email)
                break
        staff = role != Role.COLLABORATOR
        people.append(
            User(
                email=email,
                display_name=f"{first} {last}",
                role=role,
                password=password_hash,
                org_unit=rng.choice(dun_services if staff else services),
                site=sites["siege"] if staff else rng.choice(field_sites),
                phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)}",
            )
        )
    # A leaver: deactivated, kept for history.
    people[-1].is_active = False
    User.objects.bulk_create(people)
    created = list(User.objects.order_by("id"))

    agents = [u for u in created if u.role in {Role.AGENT, Role.SUPERVISOR}]
    team_list = list(teams.values())
    by_email = {u.email: u for u in created}
    teams["support-n1"].members.add(by_email["agent@relais.test"])
    for team in team_list:
        team.members.add(by_email["superviseur@relais.test"])
    for index, agent in enumerate(agents):
        team_list[index % len(team_list)].members.add(agent)

    ctx.data.update(
        directions=directions, services=services, sites=sites, teams=teams, users=created
    )
    return (
        f"{len(directions)} directions, {len(services)} services, {len(sites)} sites, "
        f"{len(teams)} teams, {len(created)} people"
    )
