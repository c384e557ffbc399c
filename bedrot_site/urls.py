from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("dashboard.urls")),
    path("", include("api.urls")),
]

# JSON errors everywhere, never an HTML page with a traceback (api/exceptions.py)
handler404 = "api.exceptions.not_found"
handler500 = "api.exceptions.server_error"
