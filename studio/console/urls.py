from django.urls import path

from studio.console import audit, prices, spend, teams, vendor_check, vendors

app_name = "console"
urlpatterns = [
    path("", teams.console_home, name="home"),
    path("vendors/", vendors.account_list, name="vendors"),
    path("vendors/new/", vendors.account_create, name="vendor_create"),
    path("vendors/<int:account_id>/", vendors.account_edit, name="vendor"),
    path("vendors/<int:account_id>/test/", vendors.account_test, name="vendor_test"),
    path("vendors/<int:account_id>/balance/", vendors.account_balance, name="vendor_balance"),
    path("prices/", prices.price_list, name="prices"),
    path("prices/<int:offering_id>/", prices.price_update, name="price"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/<int:team_id>/", teams.team_detail, name="team"),
    path("teams/<int:team_id>/members/", teams.team_member_add, name="team_member_add"),
    path("teams/<int:team_id>/members/<int:membership_id>/", teams.team_member_update, name="team_member"),
    path("teams/<int:team_id>/points/", teams.team_points, name="team_points"),
    path("teams/<int:team_id>/budget/", teams.team_budget, name="team_budget"),
    path("teams/<int:team_id>/ledger/", teams.team_ledger, name="team_ledger"),
    path("audit/", audit.event_list, name="audit"),
    path("spend/", spend.spend_view, name="spend"),
    path("vendor-check/", vendor_check.vendor_check_view, name="vendor_check"),
]
