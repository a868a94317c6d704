from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from peeka.accounts import views

app_name = "accounts"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password.html",
            success_url=reverse_lazy("accounts:profile"),
        ),
        name="password",
    ),
    path("delete/", views.delete_account, name="delete"),
    path("export/", views.export, name="export"),
]
