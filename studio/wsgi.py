import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
os.environ.setdefault("STUDIO_PROCESS", "web")  # web settings: a statement timeout on PostgreSQL
application = get_wsgi_application()

from studio.assets.upload_handler import remove_stale_upload_files  # noqa: E402 (needs the settings above)

remove_stale_upload_files()
