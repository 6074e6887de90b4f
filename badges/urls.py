from django.urls import path

from . import views

app_name = "badges"

urlpatterns = [
    path("people/<slug:public_id>/title/", views.choose_title, name="choose-title"),
    path("people/<slug:public_id>/notices-seen/", views.notices_seen, name="notices-seen"),
]
