from django.urls import path

from relais.tickets import views

app_name = "tickets"

urlpatterns = [
    path("demandes/", views.portal, name="portal"),
    path("demandes/nouvelle/", views.ticket_new, name="new"),
    path("demandes/<str:reference>/", views.ticket_detail, name="detail"),
    path("demandes/<str:reference>/repondre/", views.ticket_reply, name="reply"),
    path("demandes/<str:reference>/modifier/", views.ticket_edit, name="edit"),
    path("demandes/<str:reference>/rouvrir/", views.ticket_reopen, name="reopen"),
    path("demandes/<str:reference>/cloturer/", views.ticket_close, name="close"),
    path("demandes/<str:reference>/evaluer/", views.ticket_rate, name="rate"),
    path("demandes/<str:reference>/incident-majeur/", views.ticket_flag_major, name="flag_major"),
    path("demandes/<str:reference>/je-suis-concerne/", views.ticket_join_major, name="join_major"),
    path("demandes/<str:reference>/fusionner/", views.merge, name="merge"),
    path("demandes/<str:reference>/observateurs/", views.ticket_add_watcher, name="add_watcher"),
    path("demandes/<str:reference>/liens/", views.ticket_add_link, name="add_link"),
    path("pieces-jointes/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("profil/notifications/", views.notification_preferences, name="notifications"),
    path("guichet/", views.queue, name="queue"),
    path("guichet/vues/", views.saved_view_create, name="saved_view_create"),
    path("guichet/vues/<int:view_id>/", views.saved_view_detail, name="saved_view"),
    path(
        "guichet/vues/<int:view_id>/supprimer/",
        views.saved_view_delete,
        name="saved_view_delete",
    ),
    path("guichet/masse/", views.bulk_update, name="bulk"),
    path("archives/", views.archive_list, name="archive_list"),
    path("archives/<str:reference>/", views.archive_detail, name="archive_detail"),
]
