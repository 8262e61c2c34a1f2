"""The object store on real S3 (SeaweedFS): storage, intake, processing, mailbox."""

import io

import pytest

from pigp.core import files
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, MailboxItem, StatutFlux
from tests.flows import aller_bytes
from tests.s3 import s3_bucket, s3_objects, seaweed  # noqa: F401 (fixtures)


@pytest.mark.django_db
def test_store_and_read_back_on_s3(s3_objects, seaweed):  # noqa: F811
    stored = files.store_bytes(b"contenu du flux", media_type="application/xml")
    assert not isinstance(files.object_storage(), files.FileSystemStorage)
    bucket, prefix = s3_objects
    keys = [
        o["Key"] for o in seaweed.client().list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    ]
    assert keys == [f"{prefix}/{stored.storage_name}"]
    with files.open_stored(stored) as fh:
        assert fh.read() == b"contenu du flux"
    with files.local_path(stored) as path:
        assert path.read_bytes() == b"contenu du flux"
    assert files.store_bytes(b"contenu du flux").pk == stored.pk


@pytest.mark.django_db(transaction=True)
def test_flow_through_the_gateway_on_s3(s3_objects, seaweed, sicoval):  # noqa: F811
    content = aller_bytes(sicoval)
    [r] = intake.receive(io.BytesIO(content), filename="f.xml", collectivite=sicoval, canal="api")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.ACQUITTE, flux.message
    acquit = MailboxItem.objects.get(related_flux=flux)
    bucket, prefix = s3_objects
    client = seaweed.client()
    body = client.get_object(Bucket=bucket, Key=f"{prefix}/{acquit.fichier.storage_name}")["Body"]
    assert b"PES_ACQUIT" in body.read()
    original = client.get_object(Bucket=bucket, Key=f"{prefix}/{flux.fichier.storage_name}")["Body"]
    assert original.read() == content
