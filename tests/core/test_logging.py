"""What the studio writes to its log."""

import logging

from django.urls import reverse

from tests.conftest import client_for


def test_a_refused_request_is_logged_on_one_line_without_a_traceback(staff, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client_for(staff).get(reverse("console:vendors"))
    assert response.status_code == 403
    (record,) = [record for record in caplog.records if record.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /console/vendors/"
    assert record.exc_info is None and "Traceback" not in caplog.text
