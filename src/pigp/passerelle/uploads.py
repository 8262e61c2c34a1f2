"""Multipart uploads of the web and API deposit views, written once, straight into the spool.

Django's default handlers keep an upload in memory or, above 2.5 MB, in a temporary file of
their own, which the intake then copied into its spool. `SpoolUploadHandler` replaces them on
the deposit views: each uploaded part goes through a `files.SpoolWriter` as Django parses it
(size and SHA-256 computed on the way, fsync at the end) and `intake.receive_spooled` takes the
result without copying it. A part over `PIGP_PASSERELLE_MAX_SIZE` stops being written at the
limit, its partial file is removed at once, and it reaches the view as a refused upload that
carries the intake's French message. Anything the view did not hand to the intake (refused
access, CSRF failure, truncated body, an error) is removed when the view returns.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from pigp.core import files
from pigp.passerelle import intake


class SpooledUpload(UploadedFile):
    """An uploaded file already in the intake spool, or refused while it streamed."""

    def __init__(
        self,
        spooled: files.SpooledFile | None,
        *,
        name: str | None,
        content_type: str | None,
        charset: str | None,
        content_type_extra: dict[str, Any] | None,
        error: str = "",
    ) -> None:
        handle = spooled.path.open("rb") if spooled is not None else io.BytesIO()
        size = spooled.size if spooled is not None else 0
        super().__init__(handle, name, content_type, size, charset, content_type_extra)
        self.spooled = spooled
        self.error = error
        self._taken = False

    def take(self) -> files.SpooledFile:
        """Hand the spool file to the intake, which now owns it (moves it or removes it)."""
        if self.spooled is None:
            raise intake.IntakeError(self.error)
        self._taken = True
        return self.spooled

    def discard(self) -> None:
        self.close()
        if self.spooled is not None and not self._taken:
            self.spooled.path.unlink(missing_ok=True)


class SpoolUploadHandler(FileUploadHandler):
    """Streams every file part of a multipart body into the intake spool."""

    chunk_size = files.CHUNK

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.max_size = settings.PIGP_PASSERELLE_MAX_SIZE
        self._writer: files.SpoolWriter | None = None
        self._error = ""
        self._uploads: list[SpooledUpload] = []

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        self._drop_current()
        self._error = ""
        if self.content_length is not None and self.content_length > self.max_size:
            # The part announced its size: refused without writing a byte of it.
            self._error = str(files.FileTooLargeError(self.max_size))
            return
        self._writer = files.SpoolWriter(max_size=self.max_size)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self._writer is None:
            return None  # refused: the rest of this part is read from the request and dropped
        try:
            self._writer.write(raw_data)
        except files.FileTooLargeError as exc:
            # The writer has already removed its partial file.
            self._writer = None
            self._error = str(exc)
        return None

    def file_complete(self, file_size: int) -> SpooledUpload:
        writer = self._writer
        upload = SpooledUpload(
            writer.finish() if writer is not None else None,
            name=self.file_name,
            content_type=self.content_type,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
            error=self._error,
        )
        self._uploads.append(upload)
        # Only now: had anything above failed, `cleanup` would still remove the writer's file.
        self._writer = None
        return upload

    def upload_interrupted(self) -> None:
        self._drop_current()

    def cleanup(self) -> None:
        """Remove whatever was spooled and not handed to the intake."""
        self._drop_current()
        for upload in self._uploads:
            upload.discard()

    def _drop_current(self) -> None:
        if self._writer is not None:
            self._writer.discard()
            self._writer = None


@contextmanager
def spooling(request: HttpRequest) -> Iterator[SpoolUploadHandler]:
    """Install the handler before anything reads the body; clean up after the view."""
    handler = SpoolUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        yield handler
    finally:
        handler.cleanup()


def spool_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a web view so that its uploads are spooled by `SpoolUploadHandler`.

    Django's CSRF check reads `request.POST`, which parses the upload: the middleware is told
    to skip the view (`csrf_exempt`) and the same check runs here (`csrf_protect`) once the
    handler is installed ("Modifying upload handlers on the fly" in Django's documentation).
    """
    protected = csrf_protect(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with spooling(request):
            return protected(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def receive(source: BinaryIO | UploadedFile, **kwargs: Any) -> list[intake.Received]:
    """Hand a deposit to the intake: a spooled upload without a copy, a stream by copying it."""
    if isinstance(source, SpooledUpload):
        return intake.receive_spooled(source.take(), **kwargs)
    return intake.receive(source, **kwargs)
