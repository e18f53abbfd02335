from django.urls import path

from relais.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("veille/statut/", views.status, name="status"),
    path("veille/statut-public/", views.public_status, name="public"),
    path("veille/statut-public.json", views.public_status_json, name="public_json"),
    path("veille/statut-public/abonnement/", views.subscribe, name="subscribe"),
    path("veille/abonnement/<str:token>/confirmer/", views.subscription_confirm, name="confirm"),
    path("veille/abonnement/<str:token>/desabonner/", views.unsubscribe, name="unsubscribe"),
    path("veille/services/<int:pk>/", views.service_detail, name="service"),
    path("veille/services/<int:pk>/modifier/", views.service_edit, name="service_edit"),
    path("veille/services/<int:pk>/declarer-incident/", views.incident_new, name="incident_new"),
    path("veille/services/<int:pk>/nouveau-controle/", views.check_new, name="check_new"),
    path("veille/controles/<int:pk>/modifier/", views.check_edit, name="check_edit"),
    path("veille/incidents/", views.incident_list, name="incidents"),
    path("veille/incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("veille/incidents/<int:pk>/je-suis-concerne/", views.incident_affected, name="affected"),
    path("veille/alertes/<str:token>/", views.alert_ack, name="ack"),
    path("veille/astreinte/", views.rota, name="rota"),
    path("veille/configuration/", views.configuration, name="configuration"),
    path("veille/ping/<str:token>", views.heartbeat, name="heartbeat"),
]
