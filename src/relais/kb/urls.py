from django.urls import path

from relais.kb import views

app_name = "kb"

urlpatterns = [
    path("connaissances/", views.article_list, name="list"),
    path("connaissances/nouvel-article/", views.article_new, name="new"),
    path("connaissances/<int:pk>/", views.article_detail, name="detail"),
    path("connaissances/<int:pk>/modifier/", views.article_edit, name="edit"),
    path("connaissances/<int:pk>/etat/", views.article_move, name="move"),
    path("connaissances/<int:pk>/avis/", views.article_feedback, name="feedback"),
    path("connaissances/<int:pk>/historique/", views.article_history, name="history"),
    path("connaissances/<int:pk>/images/", views.article_image_add, name="image_add"),
    path("connaissances/images/<int:image_id>/", views.article_image, name="image"),
    path("demandes/<str:reference>/vers-article/", views.article_from_ticket, name="from_ticket"),
]
