"""Sign-in throttling: django-axes, for sign-ins through a web request."""

from axes.backends import AxesStandaloneBackend


class SignInThrottle(AxesStandaloneBackend):
    """Axes refuses a locked-out account or address. Sign-ins without a request (a management command, a
    test client's login()) are not web sign-ins and have nothing to throttle."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
