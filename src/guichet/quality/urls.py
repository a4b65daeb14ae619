from django.urls import path

from guichet.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.home, name="home"),
    path("complaints/", views.register, name="register"),
    path("complaints/print/", views.register_print, name="register_print"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/suggestion/dismiss/", views.suggestion_dismiss, name="suggestion_dismiss"),
    path("complaints/<str:reference>/", views.complaint_detail, name="complaint"),
    path("complaints/<str:reference>/<slug:step>/", views.complaint_step, name="complaint_step"),
    path("causes/", views.causes, name="causes"),
    path("actions/", views.actions, name="actions"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/new/", views.review_new, name="review_new"),
    path("reviews/calibration/", views.calibration, name="calibration"),
    path("reviews/samples/draw/", views.samples_draw, name="samples_draw"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/answer/", views.review_answer, name="review_answer"),
    path("scores/", views.scores, name="scores"),
    path("my-complaints/<str:reference>/answer/", views.customer_answer, name="customer_answer"),
]
