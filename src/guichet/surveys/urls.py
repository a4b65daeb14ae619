from django.urls import path

from guichet.surveys import views

app_name = "surveys"

urlpatterns = [
    path("survey/<str:token>/", views.survey_answer, name="answer"),
    path("survey/<str:token>/opt-out/", views.survey_opt_out, name="opt_out"),
    path("barometer/", views.barometer_page, name="barometer"),
    path("barometer/print/", views.barometer_print, name="barometer_print"),
    path("barometer/export.csv", views.barometer_csv, name="barometer_csv"),
    path("barometer/subscription/", views.barometer_subscription, name="barometer_subscription"),
    path("barometer/follow-ups/", views.follow_up_list, name="follow_ups"),
    path("barometer/follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
]
