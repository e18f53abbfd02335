from django.urls import path

from relais.reports import views

app_name = "reports"

urlpatterns = [
    path("rapports/", views.index, name="index"),
    path("rapports/mensuel/", views.monthly, name="monthly"),
    path("rapports/<slug:key>/", views.dashboard, name="dashboard"),
    path(
        "rapports/<slug:key>/export/<slug:table>.<str:fmt>",
        views.export,
        name="export",
    ),
]
