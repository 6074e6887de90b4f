from django.urls import path

from . import views

app_name = "ingest"

urlpatterns = [
    path("data/", views.data_status, name="data-status"),
]
