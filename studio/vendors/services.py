from django.db import transaction

from studio.vendors.catalogue import catalogue
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
