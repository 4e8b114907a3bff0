"""Middleware of the studio's own."""

from django.conf import settings


def permissions_policy(get_response):
    """The Permissions-Policy header (Django has a setting for most security headers, not for this one)."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware
