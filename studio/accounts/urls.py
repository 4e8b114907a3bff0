from django.contrib.auth import views as auth_views
from django.urls import path

from studio.accounts import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("teams/switch/", views.team_switch, name="team_switch"),
    # The one-time links admins hand to people they invite (studio/accounts/services.py: member_add).
    path("password/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/saved/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
