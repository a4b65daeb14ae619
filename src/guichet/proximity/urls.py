from django.urls import path

from guichet.proximity import views

app_name = "proximity"

urlpatterns = [
    path("", views.day_plan, name="day_plan"),
    path("callbacks/new/", views.callback_new, name="callback_new"),
    path(
        "callbacks/<int:callback_id>/attempt/",
        views.callback_attempt_view,
        name="callback_attempt",
    ),
    path("calls/new/", views.call_new, name="call_new"),
    path("absences/", views.absences, name="absences"),
    path("absences/<int:absence_id>/delete/", views.absence_remove, name="absence_delete"),
    path("advisors/", views.referents, name="referents"),
]
