"""Creates an API token for a user and prints its key once (the database keeps only its sha256)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from warehouse.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for USER and print its key, once: store it now, it cannot be shown again."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What will use the token (shown in the admin).")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r} (create one with manage.py createsuperuser)")
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive: its tokens would be refused")
        token, key = api_token_create(user=user, name=name)
        self.stdout.write(key)
        self.stderr.write(f"API token {token.prefix}… for {username}: shown once, revoke it in the admin (API tokens)")
