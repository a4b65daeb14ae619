from django.urls import path

from guichet.sla import views

app_name = "sla"

urlpatterns = [
    path("", views.reactivity, name="reactivity"),
]
