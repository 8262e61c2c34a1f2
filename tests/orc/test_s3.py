"""The silo on two real S3 buckets (SeaweedFS on loopback): write, read back, audit, repair,
destroy — the production layout (`PIGP_ORC_S3_BUCKETS`)."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from django.core.files.storage import storages

from pigp.orc import audit, silo
from pigp.orc.models import EtatCopie
from tests.s3 import seaweed  # noqa: F401 (fixture)

BUCKETS = ("pigp-orc-copie-1", "pigp-orc-copie-2")


@pytest.fixture
def s3_copies(seaweed, settings):  # noqa: F811
    client = seaweed.client()
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    for bucket in BUCKETS:
        if bucket not in existing:
            client.create_bucket(Bucket=bucket)
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    new = dict(settings.STORAGES)
    for name, bucket in zip(settings.PIGP_ORC_COPIES, BUCKETS, strict=True):
        new[name] = {
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
        }
    settings.STORAGES = new
    storages._storages = {}
    storages._backends = None
    return client, prefix


def _key(prefix: str, sha512: str) -> str:
    return f"{prefix}/{silo.name_for(sha512)}"


@pytest.mark.django_db
def test_archive_on_two_buckets_audit_repairs_and_destroy(s3_copies):
    client, prefix = s3_copies
    content = b"%PDF-1.4 facture archivee sur S3"
    obj = silo.archive_bytes(content, media_type="application/pdf")
    assert obj.sha512 == hashlib.sha512(content).hexdigest()
    for bucket in BUCKETS:
        body = client.get_object(Bucket=bucket, Key=_key(prefix, obj.sha512))["Body"].read()
        assert body == content
    assert silo.read_object(obj) == content

    # One copy altered behind the silo's back: the audit finds it and repairs it.
    client.put_object(Bucket=BUCKETS[1], Key=_key(prefix, obj.sha512), Body=b"altered")
    result = audit.audit()
    assert (result.corrupted, result.repaired, result.unrepaired) == (1, 1, 0)
    body = client.get_object(Bucket=BUCKETS[1], Key=_key(prefix, obj.sha512))["Body"].read()
    assert body == content
    assert set(obj.copies.values_list("etat", flat=True)) == {EtatCopie.SAINE}

    # One copy deleted: missing, repaired as well.
    client.delete_object(Bucket=BUCKETS[0], Key=_key(prefix, obj.sha512))
    assert silo.digest_of(silo.copies()[0], obj.sha512) is None
    result = audit.audit()
    assert (result.missing, result.repaired) == (1, 1)

    silo.destroy(obj)
    for bucket in BUCKETS:
        listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0)
        assert listed == 0
