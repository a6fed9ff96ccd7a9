"""Create the contract's sample users: admin/admin (staff, id 1) and cliente/cliente (id 2)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERS = [("admin", True), ("cliente", False)]


class Command(BaseCommand):
    help = "Create admin/admin (staff) and cliente/cliente (not staff); idempotent."

    def handle(self, *args, **options):
        User = get_user_model()
        for username, staff in USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(username)
            user.is_staff = staff
            user.is_superuser = staff
            user.save()
            self.stdout.write(f"{username}: id {user.id}, staff {staff}")
