"""Helpers of the upload tests (web and API): what is in the spool, and in Django's
temporary upload directory, before, during and after a request."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save
from django.test import override_settings

from pigp.core import files
from pigp.passerelle.models import Flux

# Above Django's FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): its handlers would use a temporary file.
BIG = 3 * 1024 * 1024


def content(size: int = BIG, seed: int = 1) -> bytes:
    """Not a PES flow (it will be refused by the control), but a file the intake keeps."""
    return b"<?xml version='1.0'?><pas-un-flux>" + random.Random(seed).randbytes(size)


def named(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def spool_files() -> set[Path]:
    """Every file under the spool (partial uploads, spooled files, manifests)."""
    return {p for p in files.spool_dir().rglob("*") if p.is_file()}


def stored_bytes(flux: Flux) -> bytes:
    with files.open_stored(flux.fichier) as fh:
        return fh.read()


@pytest.fixture
def django_tmp(tmp_path: Path) -> Iterator[Path]:
    """Django's temporary upload directory, empty; every test checks it stays so."""
    path = tmp_path / "django-upload-tmp"
    path.mkdir()
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(path)):
        yield path
    assert list(path.iterdir()) == []


@contextmanager
def seen_when_flows_are_created(path: Path) -> Iterator[list[list[str]]]:
    """What `path` holds at the moment each flow row is saved, i.e. while the request runs.

    Django removes its temporary upload files when the request ends, so an empty directory
    afterwards proves nothing: it is looked at while the upload is still in use."""
    seen: list[list[str]] = []

    def look(sender: type, instance: Flux, created: bool, **kwargs: object) -> None:
        if created:
            seen.append(sorted(p.name for p in path.iterdir()))

    post_save.connect(look, sender=Flux, weak=False)
    try:
        yield seen
    finally:
        post_save.disconnect(look, sender=Flux)
