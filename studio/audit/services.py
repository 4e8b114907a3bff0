from studio.accounts.models import Team, User
from studio.audit.models import AuditAction, AuditEvent


def audit_record(*, actor: User | None, action: AuditAction, target, team: Team | None = None, **details) -> AuditEvent:
    """Call inside the transaction that makes the change, so a change is never without its record."""
    return AuditEvent.objects.create(actor=actor, action=action, target=str(target)[:200], team=team, details=details)


def plain(value):
    """A form value as the audit log keeps it: JSON's own types as they are, anything else as text."""
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
