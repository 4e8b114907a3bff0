"""The vendor-side spend check in the console: `reconcile_vendors` as a page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from studio.accounts.access import require_operator
from studio.runs.vendor_check import vendor_check

DAY_CHOICES = (1, 7, 30)
DEFAULT_DAYS = 7


@login_required
@require_GET
def vendor_check_view(request):
    require_operator(request)
    days = int(request.GET["days"]) if request.GET.get("days") in {str(n) for n in DAY_CHOICES} else DEFAULT_DAYS
    checks = vendor_check(days=days)
    context = {
        "section": "vendor_check",
        "checks": checks,
        "days": days,
        "day_choices": DAY_CHOICES,
        "problems": sum(check.problem_count for check in checks),
    }
    return render(request, "console/vendor_check.html", context)
