from django.urls import path

from relais.community import views

app_name = "community"

urlpatterns = [
    path("entraide/", views.question_list, name="list"),
    path("entraide/poser/", views.question_ask, name="ask"),
    path("entraide/questions/<int:pk>/", views.question_detail, name="question"),
    path("entraide/questions/<int:pk>/modifier/", views.question_edit, name="edit"),
    path("entraide/questions/<int:pk>/historique/", views.question_history, name="history"),
    path("entraide/questions/<int:pk>/repondre/", views.answer_create, name="answer"),
    path("entraide/questions/<int:pk>/commenter/", views.comment_create, name="comment"),
    path("entraide/questions/<int:pk>/voter/", views.vote, name="vote"),
    path("entraide/questions/<int:pk>/suivre/", views.follow, name="follow"),
    path("entraide/questions/<int:pk>/signaler/", views.flag, name="flag"),
    path("entraide/questions/<int:pk>/moderer/", views.moderate, name="moderate"),
    path("entraide/questions/<int:pk>/doublon/", views.close_duplicate, name="duplicate"),
    path("entraide/questions/<int:pk>/vers-demande/", views.question_to_ticket, name="to_ticket"),
    path("entraide/reponses/<int:answer_id>/modifier/", views.answer_edit, name="answer_edit"),
    path("entraide/reponses/<int:answer_id>/accepter/", views.answer_accept, name="accept"),
    path(
        "entraide/reponses/<int:answer_id>/historique/",
        views.answer_history,
        name="answer_history",
    ),
    path(
        "entraide/reponses/<int:answer_id>/vers-article/",
        views.answer_to_article,
        name="to_article",
    ),
    path("entraide/mots-cles/suivre/", views.tag_follow, name="tag_follow"),
    path("entraide/membres/<int:user_id>/", views.member_profile, name="member"),
    path("entraide/classement/", views.leaderboard, name="leaderboard"),
    path("entraide/rejoindre/", views.join, name="join"),
    path("entraide/notifications/", views.notifications, name="notifications"),
    path("entraide/moderation/", views.moderation_queue, name="moderation"),
    path(
        "entraide/moderation/signalements/<int:flag_id>/",
        views.flag_decide,
        name="flag_decide",
    ),
]
