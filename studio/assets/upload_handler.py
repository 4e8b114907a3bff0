import hashlib

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class HashingUploadHandler(FileUploadHandler):
    """Streams every uploaded file to a temporary file on disk, hashing it on the way.

    A file over UPLOAD_MAX_BYTES stops being written (so a huge file costs no disk) but the request
    goes on: the other files of the same batch are still kept, and the big one is reported.
    """

    chunk_size = 1024 * 1024  # fewer, larger chunks: the multipart parser's Python loop runs 16× less often

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file = TemporaryUploadedFile(self.file_name, self.content_type, 0, self.charset, self.content_type_extra)
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
