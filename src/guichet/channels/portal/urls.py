from django.urls import path

from guichet.channels.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.front, name="front"),
    path("sent/", views.sent, name="sent"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/sent/", views.link_sent, name="link_sent"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("link/<str:token>/", views.link, name="link"),
    path("requests/", views.requests_list, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<str:reference>/", views.request_detail, name="request_detail"),
    path("requests/<str:reference>/reply/", views.request_reply, name="request_reply"),
    path("requests/<str:reference>/reopen/", views.request_reopen, name="request_reopen"),
    path(
        "requests/<str:reference>/files/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("account/", views.account, name="account"),
    path("language/", views.language, name="language"),
    path("answers/", views.answers, name="answers"),
]
