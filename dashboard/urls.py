"""`/` is the page; `/login` and `/logout` are Django's (the admin's own login admits staff only). Like every route
here they answer with and without the trailing slash (contract §1)."""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from dashboard import views

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    re_path(r"^login/?$", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    re_path(r"^logout/?$", auth_views.LogoutView.as_view(), name="logout"),
]
