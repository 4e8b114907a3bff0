from studio.accounts.models import User
from studio.audit.models import AuditAction, AuditEvent


def audit_record(*, actor: User | None, action: AuditAction, target: str, **details) -> AuditEvent:
    """Call inside the transaction that makes the change, so a change is never without its record."""
    return AuditEvent.objects.create(actor=actor, action=action, target=str(target)[:200], details=details)
