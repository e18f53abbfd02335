from django.urls import path

from relais.monitoring.views import config, public, watch

app_name = "monitoring"

urlpatterns = [
    path("veille/statut/", watch.status, name="status"),
    path("veille/statut-public/", public.public_status, name="public"),
    path("veille/statut-public.json", public.public_status_json, name="public_json"),
    path("veille/statut-public/flux.atom", public.public_feed_atom, name="public_feed"),
    path("veille/statut-public/flux.rss", public.public_feed_rss, name="public_feed_rss"),
    path(
        "veille/statut-public/services/<int:pk>/badge.svg",
        public.public_badge,
        name="public_badge",
    ),
    path(
        "veille/statut-public/services/<int:pk>/disponibilite.svg",
        public.public_uptime_badge,
        name="public_uptime_badge",
    ),
    path(
        "veille/statut-public/services/<int:pk>/historique.json",
        public.public_history,
        name="public_history",
    ),
    path(
        "veille/statut-public/services/<int:pk>/flux.atom",
        public.public_feed_atom,
        name="public_service_feed",
    ),
    path(
        "veille/statut-public/services/<int:pk>/flux.rss",
        public.public_feed_rss,
        name="public_service_feed_rss",
    ),
    path("veille/statut-public/abonnement/", watch.subscribe, name="subscribe"),
    path("veille/abonnement/<str:token>/confirmer/", watch.subscription_confirm, name="confirm"),
    path("veille/abonnement/<str:token>/desabonner/", watch.unsubscribe, name="unsubscribe"),
    path("veille/services/<int:pk>/", watch.service_detail, name="service"),
    path("veille/services/<int:pk>/modifier/", config.service_edit, name="service_edit"),
    path("veille/services/<int:pk>/declarer-incident/", watch.incident_new, name="incident_new"),
    path("veille/services/<int:pk>/nouveau-controle/", watch.check_new, name="check_new"),
    path("veille/controles/<int:pk>/modifier/", watch.check_edit, name="check_edit"),
    path("veille/incidents/", watch.incident_list, name="incidents"),
    path("veille/incidents/<int:pk>/", watch.incident_detail, name="incident"),
    path("veille/incidents/<int:pk>/je-suis-concerne/", watch.incident_affected, name="affected"),
    path("veille/alertes/<str:token>/", watch.alert_ack, name="ack"),
    path("veille/astreinte/", config.rota, name="rota"),
    path("veille/astreinte/nouvelle/", config.rota_new, name="rota_new"),
    path("veille/astreinte/<int:pk>/modifier/", config.rota_edit, name="rota_edit"),
    path(
        "veille/maintenances/<int:pk>/modifier/", config.maintenance_edit, name="maintenance_edit"
    ),
    path("veille/canaux/<int:pk>/modifier/", config.channel_edit, name="channel_edit"),
    path("veille/configuration/", config.configuration, name="configuration"),
    path("veille/ping/<str:token>", watch.heartbeat, name="heartbeat"),
]
