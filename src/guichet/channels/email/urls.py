from django.urls import path

from guichet.channels.email import views

app_name = "email_channel"

urlpatterns = [
    path("contacts/<int:contact_id>/body/", views.contact_body, name="contact_body"),
    path("attachments/<int:attachment_id>/image/", views.inline_image, name="inline_image"),
]
