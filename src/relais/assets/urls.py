from django.urls import path

from relais.assets import views

app_name = "assets"

urlpatterns = [
    path("mon-equipement/", views.my_equipment, name="mine"),
    path("parc/", views.asset_list, name="list"),
    path("parc/export/", views.asset_export, name="export"),
    path("parc/etiquettes/", views.asset_labels, name="labels"),
    path("parc/nouveau/", views.asset_new, name="new"),
    path("parc/<int:pk>/", views.asset_detail, name="detail"),
    path("parc/<int:pk>/modifier/", views.asset_edit, name="edit"),
    path("parc/<int:pk>/etat/", views.asset_move, name="move"),
    path("parc/<int:pk>/preter/", views.asset_lend, name="lend"),
    path("parc/<int:pk>/pieces-jointes/", views.asset_attach, name="attach"),
    path("parc/pieces-jointes/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("parc/prets/", views.loan_list, name="loans"),
    path("parc/prets/<int:pk>/retour/", views.loan_return, name="loan_return"),
    path("parc/import/", views.import_new, name="import"),
    path("parc/import/<int:pk>/", views.import_status, name="import_status"),
    path("parc/campagnes/", views.campaign_list, name="campaigns"),
    path("parc/campagnes/nouvelle/", views.campaign_new, name="campaign_new"),
    path("parc/campagnes/<int:pk>/", views.campaign_detail, name="campaign"),
    path("parc/campagnes/<int:pk>/export/", views.campaign_export, name="campaign_export"),
    path("parc/campagnes/<int:pk>/cloturer/", views.campaign_close, name="campaign_close"),
    path("parc/campagnes/cibles/<int:target_id>/", views.campaign_target, name="campaign_target"),
    path("parc/teletravail/", views.readiness, name="readiness"),
    path("parc/teletravail/export/", views.readiness_export, name="readiness_export"),
    path(
        "parc/teletravail/acces-distant/<int:person_id>/",
        views.remote_access,
        name="remote_access",
    ),
]
