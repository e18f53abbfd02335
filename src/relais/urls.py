from django.contrib import admin
from django.urls import include, path

from relais.core.api import api

handler400 = "relais.core.views.error_400"
handler403 = "relais.core.views.error_403"
handler404 = "relais.core.views.error_404"
handler500 = "relais.core.views.error_500"

urlpatterns = [
    path("", include("relais.core.urls")),
    path("", include("relais.accounts.urls")),
    path("", include("relais.tickets.urls")),
    path("", include("relais.kb.urls")),
    path("", include("relais.search.urls")),
    path("", include("relais.community.urls")),
    path("", include("relais.mail.urls")),
    path("", include("relais.assets.urls")),
    path("", include("relais.monitoring.urls")),
    path("", include("relais.reports.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
