"""A real S3-compatible server for the tests: moto's standalone server (`moto[server]`, a dev
dependency), run as its own process on a free loopback port, spoken to over HTTP by boto3
exactly as a production bucket would be (docs/decisions/0021-s3-storage.md says why this one).

Each test gets an empty bucket of its own; `s3_environment()` gives the `RELAIS_S3_*`
variables a `relais …` child process needs to use it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from typing import Any

from tests.smtp import free_port

ACCESS_KEY = "relais-test-access"
SECRET_KEY = "relais-test-secret-0123456789"
REGION = "eu-west-3"


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                raise RuntimeError("the S3 test server exited at start")
            time.sleep(0.1)
        raise RuntimeError("the S3 test server did not start within 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        name = f"relais-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return name

    def keys(self, bucket: str) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def environment(self, bucket: str) -> dict[str, str]:
        """What Relais reads to store its files in `bucket` of this server."""
        return {
            "RELAIS_STORAGE": "s3",
            "RELAIS_S3_BUCKET": bucket,
            "RELAIS_S3_ENDPOINT_URL": self.endpoint,
            "RELAIS_S3_ACCESS_KEY": ACCESS_KEY,
            "RELAIS_S3_SECRET_KEY": SECRET_KEY,
            "RELAIS_S3_REGION": REGION,
            "RELAIS_S3_ADDRESSING_STYLE": "path",
        }
