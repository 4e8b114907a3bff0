from dataclasses import asdict

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.audit.models import AuditAction
from studio.audit.services import audit_record
from studio.vendors.base import Balance, ErrorClass, VendorError
from studio.vendors.catalogue import catalogue
from studio.vendors.crypto import DecryptionFailed, KeysNotForThisAddress
from studio.vendors.models import Offering, VendorAccount


@transaction.atomic
def offerings_load(*, account: VendorAccount) -> list[Offering]:
    """Adds every model and operation the vendor's document names; prices admins edited stay as they are."""
    created = []
    for entry in catalogue(account.kind):
        offering, was_created = Offering.objects.get_or_create(
            account=account,
            operation=entry.operation,
            model=entry.model,
            defaults={
                "label": str(entry.label),
                "points": entry.points,
                "price_by": list(entry.price_by),
                "price_table": dict(entry.price_table),
                "fixed_params": dict(entry.fixed_params),
            },
        )
        if was_created:
            created.append(offering)
    return created


class CheckOutcome(models.TextChoices):
    WORKS = "works", _("Works")
    WRONG_KEY = "wrong_key", _("Wrong key")
    UNREACHABLE = "unreachable", _("Unreachable")
    VENDOR_ERROR = "vendor_error", _("Vendor error")


def account_check_connection(*, account: VendorAccount) -> dict:
    """Calls the vendor's cheapest real endpoint and keeps the answer in plain words on the account."""
    try:
        if missing := _missing_keys(account):
            raise VendorError(ErrorClass.BAD_CREDENTIALS, _("No %(names)s stored: enter it.") % {
                "names": ", ".join(missing)})  # fmt: skip
        outcome, message = CheckOutcome.WORKS, account.adapter().check_connection()
    except VendorError as error:
        if error.error_class == ErrorClass.BAD_CREDENTIALS:
            outcome = CheckOutcome.WRONG_KEY
        elif error.http_status is None and error.error_class == ErrorClass.TRANSIENT:
            outcome = CheckOutcome.UNREACHABLE
        else:
            outcome = CheckOutcome.VENDOR_ERROR
        message = error.message
    except KeysNotForThisAddress:
        outcome = CheckOutcome.WRONG_KEY
        message = _("The stored keys were saved for another address: they are not sent to this one. Enter them again.")
    except DecryptionFailed:
        outcome, message = CheckOutcome.WRONG_KEY, _("The stored key cannot be decrypted: enter it again.")
    check = {"outcome": outcome.value, "message": str(message), "at": timezone.now().isoformat()}
    changes = {"last_check": check}
    if outcome == CheckOutcome.WORKS and account.connection_verified_at is None:  # a new account's first success
        changes.update(connection_verified_at=timezone.now(), enabled=True)
    VendorAccount.objects.filter(pk=account.pk).update(**changes)
    for name, value in changes.items():
        setattr(account, name, value)
    if outcome == CheckOutcome.WORKS:
        account_refresh_balance(account=account)
    return check


def _missing_keys(account: VendorAccount) -> list[str]:
    stored = account.credentials
    return [name for name in account.adapter_type.credential_fields if not stored.get(name)]


def account_refresh_balance(*, account: VendorAccount) -> Balance | None:
    """Asks the vendor's balance endpoint, where it has one; vendors without one report it with each task."""
    try:
        balance = None if _missing_keys(account) else account.adapter().balance()
    except (VendorError, DecryptionFailed):  # the test connection says what is wrong with the keys
        return None
    if balance is not None:
        account.vendor_balance_at = account_record_balance(account_id=account.pk, balance=balance)
        account.vendor_balance = _balance_dict(balance)
    return balance


def account_record_balance(*, account_id: int, balance: Balance):
    now = timezone.now()
    VendorAccount.objects.filter(pk=account_id).update(vendor_balance=_balance_dict(balance), vendor_balance_at=now)
    return now


def _balance_dict(balance: Balance) -> dict:
    return {name: value for name, value in asdict(balance).items() if value is not None}


MAX_POINTS = 100_000


class PriceInvalid(ValueError):
    pass


def offering_update(*, offering: Offering, points: int, price_table: dict[str, int], enabled: bool, actor) -> bool:
    """New prices apply to runs submitted from now on: a run keeps the price it was charged at submit.

    Switching an offering off hides it from the composer at once; its runs already going are left alone.
    Returns whether anything changed; every change is in the audit log.
    """
    for value in (points, *price_table.values()):
        if not 1 <= value <= MAX_POINTS:
            raise PriceInvalid(_("A price is a whole number of points from 1 to %(max)s.") % {"max": MAX_POINTS})
    if set(price_table) != set(offering.price_table):
        raise PriceInvalid(_("The price table has other entries than this offering's; reload the page."))
    with transaction.atomic():
        locked = Offering.objects.select_for_update().select_related("account").get(pk=offering.pk)
        before = {"points": locked.points, **{f"price {key}": value for key, value in locked.price_table.items()}}
        after = {"points": points, **{f"price {key}": value for key, value in price_table.items()}}
        price_changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
        switched = locked.enabled != enabled
        if price_changes:
            audit_record(actor=actor, action=AuditAction.PRICE_CHANGED, target=locked, **price_changes)
        if switched:
            audit_record(
                actor=actor, action=AuditAction.OFFERING_SWITCHED, target=locked, enabled=[not enabled, enabled]
            )
        locked.points, locked.price_table, locked.enabled = points, dict(price_table), enabled
        locked.save(update_fields=["points", "price_table", "enabled", "updated_at"])
    offering.points, offering.price_table, offering.enabled = points, dict(price_table), enabled
    return bool(price_changes) or switched
