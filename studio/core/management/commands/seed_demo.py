from django.core.management.base import BaseCommand

from studio.core.demo import seed_demo


class Command(BaseCommand):
    help = "Creates the demo team, its users and a sample project (keeps anything that exists)."

    def handle(self, *args, **options):
        for username, password, role in seed_demo():
            self.stdout.write(f"  {role:<9} {username} / {password}")
