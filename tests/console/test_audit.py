"""The audit log in the console: operators read all of it, a team admin their own teams' entries."""

from django.urls import reverse

from studio.audit.models import AuditAction
from studio.audit.services import audit_record
from tests.conftest import client_for


def test_a_team_admin_reads_only_their_teams_entries_and_an_operator_reads_all(admin, operator, team, other_team):
    audit_record(actor=operator, action=AuditAction.ACCOUNT_CHANGED, target="imagewash main", base_url="x")
    audit_record(actor=admin, action=AuditAction.MEMBER_ADDED, target="lee in Acme", team=team)
    audit_record(actor=operator, action=AuditAction.MEMBER_ADDED, target="kim in Globex", team=other_team)

    as_admin = client_for(admin).get(reverse("console:audit")).content.decode()
    assert "lee in Acme" in as_admin and "kim in Globex" not in as_admin and "imagewash main" not in as_admin
    as_operator = client_for(operator).get(reverse("console:audit")).content.decode()
    assert all(target in as_operator for target in ("lee in Acme", "kim in Globex", "imagewash main"))


def test_an_operator_of_no_team_lands_in_the_console(operator):
    response = client_for(operator).get(reverse("projects:list"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:vendors")
    assert "Studio operator" in response.content.decode()
