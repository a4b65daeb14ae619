from django.urls import path

from guichet.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox/results/", views.inbox_results, name="inbox_results"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/reply/", views.case_reply, name="case_reply"),
    path("cases/<str:reference>/status/", views.case_status, name="case_status"),
    path("cases/<str:reference>/details/", views.case_details, name="case_details"),
    path("cases/<str:reference>/assign/", views.case_assign, name="case_assign"),
    path("cases/<str:reference>/merge/", views.case_merge, name="case_merge"),
    path("cases/<str:reference>/next/", views.case_next, name="case_next"),
    path("cases/<str:reference>/history/", views.case_history, name="case_history"),
    path("cases/<str:reference>/macros/<int:macro_id>/", views.case_macro, name="case_macro"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer"),
    path("macros/", views.macros, name="macros"),
]
