from django.urls import path

from peeka.accounts import views
from peeka.accounts.mfa import step_up_required

app_name = "accounts"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/next/", views.login_step, name="login_step"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("step-up/", views.step_up, name="step_up"),
    path("profile/", views.profile, name="profile"),
    path("language/", views.language, name="language"),
    path("security/", views.security, name="security"),
    path("security/totp/", views.totp_setup, name="totp"),
    path("security/totp/remove/", views.totp_remove, name="totp_remove"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("security/tokens/new/", views.token_create, name="token_create"),
    path("security/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("password/", step_up_required(views.PasswordChangeView.as_view()), name="password"),
    path("password/new/", views.password_required, name="password_required"),
    path("password/forgot/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/forgot/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("delete/", views.delete_account, name="delete"),
    path("export/", views.export, name="export"),
]
