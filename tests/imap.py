"""A real IMAP server for the tests: Debian's Dovecot, started on 127.0.0.1 on free ports with
its own configuration, a self-signed certificate made here, plain-text passwords in a
passwd-file and Maildir storage, all in a temporary directory.

scripts/test-services.sh installs the package when it is missing; a test that needs the
server fails in CI (CI=true) when it is not there, and is skipped elsewhere.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from imapclient import IMAPClient

from tests.smtp import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
POOL = 200


def dovecot_available() -> bool:
    return os.path.exists(DOVECOT)


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class Dovecot:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="relais-dovecot-"))
        self.dir.chmod(0o755)
        self.port = free_port()  # STARTTLS (and plain, for the tests that say so)
        self.tls_port = free_port()  # IMAPS
        self.cert, self.key = _certificate(self.dir)
        # Accounts are made up front: Dovecot re-reads a passwd-file only when its modification
        # time (in seconds) changes, so accounts added during a run may not be seen yet.
        self.passwd = self.dir / "passwd"
        self._spare = [
            (f"support-{uuid.uuid4().hex[:8]}@relais.test", uuid.uuid4().hex) for _ in range(POOL)
        ]
        self.passwd.write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self._spare))
        self.home = self.dir / "home"
        self.home.mkdir()
        if os.geteuid() == 0:
            entry = pwd.getpwnam("dovecot")
            self.uid, self.gid = entry.pw_uid, entry.pw_gid
            os.chown(self.home, self.uid, self.gid)
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        self.config = self.dir / "dovecot.conf"
        self.config.write_text(self._config())
        self.users: dict[str, str] = {}

    def _config(self) -> str:
        d = self.dir
        return f"""
first_valid_uid = 1
first_valid_gid = 1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.home}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""

    def start(self) -> None:
        (self.dir / "run").mkdir(exist_ok=True)
        (self.dir / "state").mkdir(exist_ok=True)
        subprocess.run([DOVECOT, "-c", str(self.config)], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.tls_port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("dovecot did not start: " + self.log())

    def stop(self) -> None:
        subprocess.run([DOVECOT, "-c", str(self.config), "stop"], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def add_user(self) -> str:
        """A fresh, empty account (one per test keeps the tests apart)."""
        user, password = self._spare.pop()
        self.users[user] = password
        return user

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(
            "127.0.0.1", port=self.tls_port, ssl=True, ssl_context=self.ssl_context()
        )
        client.login(user, self.users[user])
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)

    def flagged(self, user: str, keyword: bytes, folder: str = "INBOX") -> int:
        with self.client(user) as client:
            client.select_folder(folder, readonly=True)
            return len(client.search(["KEYWORD", keyword.decode()]))

    def count(self, user: str, folder: str = "INBOX") -> int:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return 0
            return int(client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])

    def recreate_folder(self, user: str, folder: str) -> None:
        """Delete the folder and create it again with the same messages and flags: a new
        UIDVALIDITY, as after a server restore or migration."""
        with self.client(user) as client:
            client.select_folder(folder)
            uids = client.search(["ALL"])
            fetched = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
            client.close_folder()
            client.delete_folder(folder)
            client.create_folder(folder)
            for _uid, data in sorted(fetched.items()):
                flags = [f for f in data[b"FLAGS"] if f != b"\\Recent"]
                client.append(folder, data[b"BODY[]"], flags=flags)

    def uidvalidity(self, user: str, folder: str) -> int:
        with self.client(user) as client:
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
