from __future__ import annotations

import multiprocessing

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve Guichet with gunicorn (a production WSGI server), static files by WhiteNoise."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=None, help="Processes (default: 2 per core, max 8)."
        )
        parser.add_argument("--threads", type=int, default=4, help="Threads per process.")

    def handle(self, *args, host, port, workers, threads, **opts):
        from gunicorn.app.base import BaseApplication

        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}.")
        if not (settings.STATIC_ROOT / "staticfiles.json").exists():
            call_command("collectstatic", interactive=False, verbosity=0)
        workers = workers or min(8, 2 * multiprocessing.cpu_count())

        from guichet.config.wsgi import application

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("threads", threads)
                self.cfg.set("accesslog", "-")
                self.cfg.set("graceful_timeout", 10)

            def load(self):
                return application

        self.stdout.write(f"Guichet on http://{host}:{port}/ ({workers} workers)")
        Server().run()
