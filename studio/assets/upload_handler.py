import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

logger = logging.getLogger(__name__)
STALE_UPLOAD_SECONDS = 6 * 3600  # far longer than any upload takes


class _UploadTempFile(TemporaryUploadedFile):
    """Django's temporary upload file, in the studio's own folder (made on first use, so that no setting
    names a folder that must exist before the first upload: Django's check would stop every command)."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        folder = Path(settings.UPLOAD_TEMP_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        file = tempfile.NamedTemporaryFile(suffix=".upload" + os.path.splitext(name)[1], dir=folder)  # noqa: SIM115
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)


class HashingUploadHandler(FileUploadHandler):
    """Streams every uploaded file to a temporary file on disk, hashing it on the way.

    A file over UPLOAD_MAX_BYTES stops being written (so a huge file costs no disk) but the request
    goes on: the other files of the same batch are still kept, and the big one is reported. Files past
    UPLOAD_MAX_FILES in one request are read past without being stored; `request.uploads_skipped` names them.
    """

    chunk_size = 1024 * 1024  # fewer, larger chunks: the multipart parser's Python loop runs 16× less often

    def __init__(self, request=None):
        super().__init__(request)
        self.files_seen = 0
        if request is not None:
            request.uploads_skipped = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        if self.files_seen > settings.UPLOAD_MAX_FILES:
            if self.request is not None:
                self.request.uploads_skipped.append(self.file_name)
            if hasattr(self, "file"):
                del self.file  # the last file kept, complete: Django closes a skipping handler's `file`
            raise SkipFile
        self.file = _UploadTempFile(self.file_name, self.content_type, 0, self.charset, self.content_type_extra)
        self.hasher = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received <= settings.UPLOAD_MAX_BYTES:
            self.hasher.update(raw_data)
            self.file.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.file.seek(0)
        self.file.size = self.received
        self.file.sha256 = self.hasher.hexdigest()
        return self.file

    def upload_interrupted(self):
        if hasattr(self, "file"):
            self.file.close()


def remove_stale_upload_files(max_age: float = STALE_UPLOAD_SECONDS) -> int:
    """Makes the upload folder and removes what uploads cut off by a killed server left in it. Only files named
    as Django names them (`*.upload*`) and older than `max_age`: other processes' uploads go on undisturbed."""
    folder = Path(settings.UPLOAD_TEMP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    removed, oldest = 0, time.time() - max_age
    for path in folder.glob("*.upload*"):
        try:
            if path.is_file() and path.stat().st_mtime < oldest:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # finished meanwhile
    if removed:
        logger.info("removed %d temporary files of interrupted uploads from %s", removed, folder)
    return removed
