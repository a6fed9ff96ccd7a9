"""/api/dashboard/<channel>/<consumidor_id>/ (seed 002 polling fallback)."""

from django.urls import re_path

from . import views

urlpatterns = [re_path(r"^(?P<channel>[\w-]+)/(?P<consumidor_id>\w+)/$", views.ChannelSnapshot.as_view())]
