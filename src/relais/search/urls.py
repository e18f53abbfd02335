from django.urls import path

from relais.search import views

app_name = "search"

urlpatterns = [
    path("recherche/", views.results, name="results"),
    path("recherche/suggestions/", views.suggest, name="suggest"),
    path("recherche/resolu/", views.deflect, name="deflect"),
    path("recherche/sans-resultat/", views.zero_results, name="zero_results"),
]
