from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.i18n import set_language

from guichet.config.api import api, api_not_found
from guichet.core import views as core_views
from guichet.workspace import views as workspace_views

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", api_not_found),  # unknown API URLs answer in the API's error shape
    path("i18n/setlang/", set_language, name="set_language"),
    path("health/", core_views.health, name="health"),
    path("admin/", admin.site.urls),
    path("portal/", include("guichet.channels.portal.urls")),
    path("email/", include("guichet.channels.email.urls")),
    path("portal/", include("guichet.proximity.urls_portal")),
    path("proximity/", include("guichet.proximity.urls")),
    path("quality/", include("guichet.quality.urls")),
    path("sla/", include("guichet.sla.urls")),
    path("", include("guichet.surveys.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The agent workspace is the home page; "home" stays a name for it (LOGIN_REDIRECT_URL).
    path("", workspace_views.inbox, name="home"),
    path("", include("guichet.workspace.urls")),
]

admin.site.site_header = "Guichet"
admin.site.site_title = "Guichet"
