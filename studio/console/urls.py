from django.urls import path
from django.views.generic import RedirectView

from studio.console import audit, spend, vendors

app_name = "console"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:vendors", permanent=False), name="home"),
    path("vendors/", vendors.account_list, name="vendors"),
    path("vendors/new/", vendors.account_create, name="vendor_create"),
    path("vendors/<int:account_id>/", vendors.account_edit, name="vendor"),
    path("vendors/<int:account_id>/test/", vendors.account_test, name="vendor_test"),
    path("vendors/<int:account_id>/balance/", vendors.account_balance, name="vendor_balance"),
    path("audit/", audit.event_list, name="audit"),
    path("spend/", spend.spend_view, name="spend"),
]
