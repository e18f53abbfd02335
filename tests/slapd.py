"""A real directory for the tests: Debian's OpenLDAP (slapd), configured here in a temporary
directory (slapd.conf, an mdb database loaded with slapadd, a free port on 127.0.0.1, run as
the current user), with an Active-Directory-shaped test tree: sAMAccountName, department and
userAccountControl (a small schema defined below), 1,200+ people, groups, a nested group, a
disabled account and accented names.

The server limits an ordinary search to 500 entries, so only a paged search (RFC 2696) can
read the whole tree, as with Active Directory's MaxPageSize.

slapd runs with the "stats" log level, so the tests can count the binds each login made.

scripts/test-services.sh installs the packages when they are missing; a test that needs the
server fails in CI (CI=true) when it is not there, and is skipped elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ldap
import ldap.ldapobject

from tests.smtp import free_port

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
BASE = "dc=relais,dc=test"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
SERVICE_DN = f"cn=relais-svc,ou=services,{BASE}"
SERVICE_PASSWORD = "svc-Secret-42"
ROOT_DN = f"cn=root,{BASE}"
ROOT_PASSWORD = "root-Secret-42"
GENERATED_PEOPLE = 1_200
# userAccountControl: 512 is a normal account, 514 = 512 | ACCOUNTDISABLE (bit 2).
ENABLED, DISABLED = 512, 514
# The filter an administrator writes for Active Directory: accounts not disabled.
AD_ACTIVE_FILTER = "(!(userAccountControl:1.2.840.113556.1.4.803:=2))"

SCHEMA = """
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'department'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.3 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'relaisADUser' SUP top AUXILIARY
  MAY ( department $ sAMAccountName $ userAccountControl ) )
"""


def slapd_available() -> bool:
    return os.path.exists(SLAPD) and os.path.exists(SLAPADD)


@dataclass(frozen=True)
class Person:
    login: str
    password: str
    display_name: str
    mail: str
    department: str = ""
    office: str = ""
    phone: str = ""
    manager: str = ""  # login of the manager
    disabled: bool = False

    @property
    def dn(self) -> str:
        return f"uid={self.login},{PEOPLE}"


# The people the tests talk about by name; the rest are generated.
NAMED = [
    Person(
        "mbernard",
        "Marie-Pass-2024",
        "Marie Bernard",
        "marie.bernard@relais.test",
        "Direction de la clientèle",
        "Siège",
        "+33 4 66 00 00 01",
    ),
    Person(
        "jdupont",
        "Jérôme-Pass-2024",
        "Jérôme Dupont-Lefèvre",
        "jerome.dupont@relais.test",
        "Direction de la clientèle",
        "Agence de Nîmes",
        "+33 4 66 00 00 02",
        manager="mbernard",
    ),
    Person("aagent", "Agent-Pass-2024", "Amélie Agent", "amelie.agent@relais.test", "DSI", "Siège"),
    Person("ssuper", "Super-Pass-2024", "Sébastien Superviseur", "sebastien.s@relais.test", "DSI"),
    Person("aadmin", "Admin-Pass-2024", "Anaïs Admin", "anais.admin@relais.test", "DSI"),
    Person(
        "dleaver",
        "Leaver-Pass-2024",
        "Denis Départ",
        "denis.depart@relais.test",
        "Direction du patrimoine",
        disabled=True,
    ),
]
# Group name → member logins and member groups. support-n1 sits inside relais-agents, so
# Amélie is an agent through a nested group only.
GROUP_MEMBERS: dict[str, tuple[list[str], list[str]]] = {
    "support-n1": (["aagent"], []),
    "relais-agents": ([], ["support-n1"]),
    "relais-supervisors": (["ssuper"], []),
    "relais-admins": (["aadmin"], []),
    "everyone-else": (["jdupont", "mbernard"], []),
}


def generated_people(count: int = GENERATED_PEOPLE) -> list[Person]:
    departments = ["Direction financière", "Direction du patrimoine", "Direction générale"]
    return [
        Person(
            f"user{n:05d}",
            f"Pass-{n:05d}",
            f"Agnès Usager {n:05d}",
            f"user{n:05d}@relais.test",
            departments[n % len(departments)],
            "Siège",
        )
        for n in range(count)
    ]


def _person_ldif(person: Person) -> str:
    lines = [
        f"dn: {person.dn}",
        "objectClass: inetOrgPerson",
        "objectClass: relaisADUser",
        f"uid: {person.login}",
        f"sAMAccountName: {person.login}",
        f"cn: {person.display_name}",
        f"sn: {person.display_name.split()[-1]}",
        f"displayName: {person.display_name}",
        f"mail: {person.mail}",
        f"userPassword: {person.password}",
        f"userAccountControl: {DISABLED if person.disabled else ENABLED}",
    ]
    if person.department:
        lines.append(f"department: {person.department}")
    if person.office:
        lines.append(f"physicalDeliveryOfficeName: {person.office}")
    if person.phone:
        lines.append(f"telephoneNumber: {person.phone}")
    if person.manager:
        lines.append(f"manager: uid={person.manager},{PEOPLE}")
    return "\n".join(lines) + "\n\n"


def _ldif(people: list[Person]) -> str:
    parts = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: relais\no: Relais\n\n"
    ]
    for ou in ("people", "groups", "services"):
        parts.append(f"dn: ou={ou},{BASE}\nobjectClass: organizationalUnit\nou: {ou}\n\n")
    parts.append(
        f"dn: {SERVICE_DN}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\n"
        f"cn: relais-svc\nuserPassword: {SERVICE_PASSWORD}\n\n"
    )
    parts.extend(_person_ldif(person) for person in people)
    for group, (logins, subgroups) in GROUP_MEMBERS.items():
        members = [f"member: uid={login},{PEOPLE}" for login in logins]
        members += [f"member: cn={sub},{GROUPS}" for sub in subgroups]
        parts.append(
            f"dn: cn={group},{GROUPS}\nobjectClass: groupOfNames\ncn: {group}\n"
            + "\n".join(members)
            + "\n\n"
        )
    return "".join(parts)


class Slapd:
    def __init__(self, people: list[Person] | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="relais-slapd-"))
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.people = people if people is not None else [*NAMED, *generated_people()]
        self.by_login = {person.login: person for person in self.people}
        (self.dir / "db").mkdir()
        (self.dir / "relais-ad.schema").write_text(SCHEMA)
        self.config = self.dir / "slapd.conf"
        self.config.write_text(self._config())
        self.log_path = self.dir / "slapd.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _config(self) -> str:
        d = self.dir
        return f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {d}/relais-ad.schema
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
sizelimit size.soft=500 size.hard=500 size.prtotal=unlimited
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
database mdb
maxsize 268435456
suffix "{BASE}"
directory {d}/db
index objectClass,uid,sAMAccountName,member eq
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
"""

    def start(self) -> None:
        ldif = self.dir / "tree.ldif"
        ldif.write_text(_ldif(self.people), encoding="utf-8")
        subprocess.run(
            [SLAPADD, "-q", "-f", str(self.config), "-l", str(ldif)],
            check=True,
            capture_output=True,
        )
        log = self.log_path.open("wb")
        # -d 256: "stats" logging (one line per operation) on stderr; slapd stays in front.
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(self.config), "-h", self.uri, "-d", "256"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("slapd did not start: " + self.log())

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def binds(self, dn: str) -> int:
        """How many simple binds this DN has made so far."""
        pattern = re.compile(r'BIND dn="([^"]*)" method=128')
        return sum(1 for m in pattern.finditer(self.log()) if m.group(1).lower() == dn.lower())

    def all_binds(self) -> int:
        return len(re.findall(r"BIND dn=", self.log()))

    def admin(self) -> ldap.ldapobject.LDAPObject:
        """A connection as the tree's root, for tests that change the directory."""
        conn = ldap.initialize(self.uri)
        conn.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
        return conn

    def set_attribute(self, login: str, attribute: str, value: str) -> None:
        conn = self.admin()
        try:
            conn.modify_s(
                f"uid={login},{PEOPLE}", [(ldap.MOD_REPLACE, attribute, [value.encode()])]
            )
        finally:
            conn.unbind_s()

    def disable(self, login: str) -> None:
        self.set_attribute(login, "userAccountControl", str(DISABLED))

    def enable(self, login: str) -> None:
        self.set_attribute(login, "userAccountControl", str(ENABLED))


def configure_relais(settings: Any, slapd: Slapd, *, page_size: int) -> None:
    """Point Relais at this directory, as an administrator would through the environment
    (the tests' `directory` fixture and `python -m bench accounts`)."""
    settings.LDAP_URIS = [slapd.uri]
    settings.LDAP_ENABLED = True
    settings.LDAP_BIND_DN = SERVICE_DN
    settings.LDAP_BIND_PASSWORD = SERVICE_PASSWORD
    settings.LDAP_USER_BASE = PEOPLE
    settings.LDAP_USER_FILTER = f"(&(sAMAccountName=%(user)s){AD_ACTIVE_FILTER})"
    settings.LDAP_SYNC_FILTER = f"(&(objectClass=inetOrgPerson){AD_ACTIVE_FILTER})"
    settings.LDAP_GROUP_BASE = GROUPS
    settings.LDAP_GROUP_FILTER = "(objectClass=groupOfNames)"
    settings.LDAP_PAGE_SIZE = page_size
    settings.LDAP_ROLE_GROUPS = {
        "admin": [f"cn=relais-admins,{GROUPS}"],
        "supervisor": [f"cn=relais-supervisors,{GROUPS}"],
        "agent": [f"cn=relais-agents,{GROUPS}"],
    }
