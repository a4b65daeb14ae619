"""Proximity pages inside the customer portal (included under /portal/ in config/urls.py)."""

from django.urls import path

from guichet.proximity import portal_views

app_name = "proximity_portal"

urlpatterns = [
    path("advisor/", portal_views.advisor, name="advisor"),
    path("advisor/<int:agent_id>/photo/", portal_views.advisor_photo, name="advisor_photo"),
    path("callback/", portal_views.callback, name="callback"),
    path("callback/link/<str:token>/", portal_views.callback_link, name="callback_link"),
    path(
        "callback/<int:callback_id>/cancel/",
        portal_views.callback_cancel_view,
        name="callback_cancel",
    ),
    path("talk/", portal_views.talk, name="talk"),
]
