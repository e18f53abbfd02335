from django.urls import path

from relais.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("administration/envois/", views.outbox_list, name="outbox"),
    path(
        "administration/envois/<int:message_id>/relancer/",
        views.outbox_requeue,
        name="outbox_requeue",
    ),
]
