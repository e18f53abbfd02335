from django.urls import path

from relais.mail import views

app_name = "mail"

urlpatterns = [
    path("administration/courriels/", views.inbound_list, name="list"),
    path("administration/courriels/<int:inbound_id>/", views.inbound_detail, name="detail"),
    path("administration/courriels/<int:inbound_id>/brut/", views.inbound_raw, name="raw"),
    path(
        "administration/courriels/<int:inbound_id>/liberer/",
        views.inbound_release,
        name="release",
    ),
    path(
        "administration/courriels/<int:inbound_id>/ecarter/",
        views.inbound_discard,
        name="discard",
    ),
    path("administration/courriels/<int:inbound_id>/rejouer/", views.inbound_replay, name="replay"),
    path("administration/boites-mail/", views.mailbox_list, name="mailboxes"),
    path("administration/boites-mail/nouvelle/", views.mailbox_edit, name="mailbox_new"),
    path("administration/boites-mail/<int:mailbox_id>/", views.mailbox_edit, name="mailbox_edit"),
    path(
        "demandes/<str:reference>/courriels/<int:inbound_id>/",
        views.original,
        name="original",
    ),
]
