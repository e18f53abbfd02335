from django.contrib.auth import views as auth_views
from django.urls import path

from relais.accounts import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oubli/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/oubli/envoye/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/reinitialiser/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/reinitialise/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("mot-de-passe/changer/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profil/", views.profile, name="profile"),
    path("profil/jetons/", views.token_list, name="tokens"),
    path("profil/jetons/<int:token_id>/revoquer/", views.token_revoke, name="token_revoke"),
    path("langue/", views.language_switch, name="language"),
    path("annuaire/", views.user_list, name="user_list"),
    path("annuaire/<int:user_id>/", views.user_detail, name="user_detail"),
    path(
        "annuaire/<int:user_id>/double-authentification/reinitialiser/",
        views.otp_reset,
        name="otp_reset",
    ),
    path(
        "annuaire/<int:user_id>/lecteur-archives/",
        views.archive_reader_set,
        name="archive_reader_set",
    ),
    path(
        "annuaire/<int:user_id>/donnees/export/",
        views.personal_data_export,
        name="personal_data_export",
    ),
    path(
        "annuaire/donnees/telecharger/<str:token>/",
        views.personal_data_download,
        name="personal_data_download",
    ),
    path(
        "annuaire/<int:user_id>/donnees/effacer/",
        views.personal_data_erase,
        name="personal_data_erase",
    ),
    path("connexion/code/", views.otp_verify, name="otp_verify"),
    path("connexion/sso/", views.OidcLoginView.as_view(), name="oidc_login"),
    path("connexion/sso/retour/", views.OidcCallbackView.as_view(), name="oidc_callback"),
    path("connexion/double-authentification/", views.otp_setup, name="otp_setup"),
]
