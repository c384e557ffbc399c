"""Creates the first staff user (and its API token) when none exists, printing the credentials once."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from warehouse.tokens import api_token_create


class Command(BaseCommand):
    help = "Create a superuser 'admin' with a random password and an API token, unless a staff user exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        if User.objects.filter(is_staff=True).exists():
            self.stdout.write(
                "staff user exists; new ones: manage.py createsuperuser, tokens: manage.py api_token_create USER"
            )
            return
        password = secrets.token_urlsafe(16)
        user = User.objects.create_superuser(username=username, password=password, email="")
        _, key = api_token_create(user=user, name="created with the staff user")
        self.stdout.write(
            self.style.SUCCESS(f"created staff user '{username}' password '{password}' API token '{key}'")
        )
        self.stdout.write("shown once: store them now (change the password in /admin/)")
