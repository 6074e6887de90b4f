from django.urls import path

from . import views

app_name = "ingest"

urlpatterns = [
    path("data/", views.data_status, name="data-status"),
    # OTLP/HTTP: exporters append /v1/metrics to OTEL_EXPORTER_OTLP_ENDPOINT (…/otlp/<name>)
    path("otlp/<str:connection>/v1/metrics", views.otlp_metrics, name="otlp-metrics"),
]
