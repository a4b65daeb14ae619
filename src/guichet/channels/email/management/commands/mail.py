"""`guichet mail serve|poll|retry`: the email channel's operator commands."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.channels.email.choices import InboundState
from guichet.channels.email.models import InboundMessage


class Command(BaseCommand):
    help = "Email channel: serve (SMTP/LMTP listener), poll (IMAP), retry (the quarantine)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{serve,poll,retry}")
        sub.required = True
        serve = sub.add_parser("serve", help="Listen for mail (SMTP, or LMTP with --lmtp).")
        serve.add_argument("--host", default="127.0.0.1")
        serve.add_argument(
            "--port", type=int, default=None, help="Default 2525 (SMTP), 2424 (LMTP)."
        )
        serve.add_argument("--lmtp", action="store_true", help="Speak LMTP (RFC 2033).")
        poll = sub.add_parser("poll", help="Fetch the IMAP mailboxes once.")
        poll.add_argument("--mailbox", help="Only this address.")
        poll.add_argument(
            "--watch", action="store_true", help="Keep polling; IMAP IDLE where offered."
        )
        poll.add_argument(
            "--schedule",
            action="store_true",
            help="Enqueue the recurring background poll (run by `guichet worker`).",
        )
        retry = sub.add_parser(
            "retry",
            help="Process stored messages not yet processed, and retry the quarantine.",
        )
        retry.add_argument("ids", nargs="*", type=int, help="Only these inbound message ids.")

    def handle(self, *args, action: str, **opts) -> None:
        getattr(self, f"_{action}")(**opts)

    # --- serve --------------------------------------------------------------------------------

    def _serve(self, *, host: str, port: int | None, lmtp: bool, **opts) -> None:
        from guichet.channels.email.listener import MailServer

        port = port if port is not None else (2424 if lmtp else 2525)
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}.")
        server = MailServer(host=host, port=port, lmtp=lmtp)
        try:
            server.start()
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        done = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_a: done.set())
        protocol = "LMTP" if lmtp else "SMTP"
        self.stdout.write(f"Guichet mail listener ({protocol}) on {host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            done.wait()
        finally:
            server.stop()

    # --- poll ---------------------------------------------------------------------------------

    def _poll(self, *, mailbox: str | None, watch: bool, schedule: bool, **opts) -> None:
        from guichet.channels.email.imap import imap_mailboxes, mailbox_watch, mailboxes_poll
        from guichet.channels.email.services import inbound_process_pending
        from guichet.channels.email.tasks import mailboxes_poll_schedule

        if schedule:
            started = mailboxes_poll_schedule()
            self.stdout.write(
                "Recurring poll enqueued." if started else "A recurring poll is already queued."
            )
            return
        boxes = imap_mailboxes(mailbox)
        if not boxes:
            raise CommandError(
                f"no enabled IMAP mailbox {mailbox!r}."
                if mailbox
                else "no IMAP mailbox configured."
            )
        if watch:
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_a: stop.set())
            threads = [
                threading.Thread(target=mailbox_watch, kwargs={"mailbox": b, "stop": stop})
                for b in boxes
            ]
            for thread in threads:
                thread.start()
            self.stdout.write(f"Watching {len(boxes)} mailbox(es).")
            for thread in threads:
                thread.join()
            return
        failed = 0
        for result in mailboxes_poll(address=mailbox):
            if result.error:
                failed += 1
                self.stderr.write(f"{result.mailbox}: {result.error}")
            else:
                self.stdout.write(
                    f"{result.mailbox}: {result.stored} new, {result.duplicates} already stored"
                )
        pending = inbound_process_pending()
        self.stdout.write(
            f"processed {pending.processed}, ignored {pending.ignored}, "
            f"quarantined {pending.quarantined}"
        )
        if failed:
            raise CommandError(f"{failed} mailbox(es) could not be polled.")

    # --- retry --------------------------------------------------------------------------------

    def _retry(self, *, ids: list[int], **opts) -> None:
        from guichet.channels.email.services import inbound_process_pending, inbound_retry

        if ids:
            found = {m.pk: m for m in InboundMessage.objects.filter(pk__in=ids)}
            missing = sorted(set(ids) - set(found))
            if missing:
                raise CommandError(f"no inbound message {', '.join(map(str, missing))}.")
            targets = [found[i] for i in ids]
        else:
            targets = list(InboundMessage.objects.filter(state=InboundState.QUARANTINED))
        states: dict[str, int] = {}
        for inbound in targets:
            state = inbound_retry(inbound=inbound).state
            states[state] = states.get(state, 0) + 1
        pending = inbound_process_pending()
        self.stdout.write(
            f"retried {len(targets)} ("
            + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
            + f"); pending: processed {pending.processed}, ignored {pending.ignored}, "
            f"quarantined {pending.quarantined}"
        )
        still = sum(
            1 for i in targets if InboundMessage.objects.get(pk=i.pk).state == "quarantined"
        )
        if still:
            raise CommandError(f"{still} message(s) still quarantined.")
