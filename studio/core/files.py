from django.http import FileResponse, HttpResponseRedirect


def serve_stored_file(field, content_type: str, *, download_name: str | None = None):
    """Streams a stored file; on storage without local paths (S3) redirects to a short-lived signed URL."""
    try:
        path = field.storage.path(field.name)
    except NotImplementedError:
        return HttpResponseRedirect(field.storage.url(field.name))
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 (FileResponse closes it)
        content_type=content_type,
        as_attachment=download_name is not None,
        filename=download_name or "",
    )
    response["Cache-Control"] = "private, max-age=31536000, immutable"  # stored files never change
    return response
