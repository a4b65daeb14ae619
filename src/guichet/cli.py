"""The `guichet` command: Guichet's own operator commands plus every Django management command.

    guichet init [--no-demo]       first run, idempotent
    guichet serve [--host H] [--port P]
    guichet demo [--cases N] [--months M] [--seed S] [--bulk]
    guichet worker                 background tasks
    guichet mail serve [--host H] [--port P] [--lmtp]   receive mail (SMTP or LMTP)
    guichet mail poll [--watch | --schedule]            fetch the IMAP mailboxes
    guichet mail retry [ID ...]    process what is pending, retry the quarantine
    guichet token create EMAIL     prints a new API token
    guichet sla due --calendar NAME --start ISO8601 --minutes N     the due instant
    guichet sla between --calendar NAME --start ISO8601 --end ISO8601  business minutes
    guichet sla rebuild | recompute --calendar NAME  service clocks from the event log
    guichet check                  configuration and database health

Every failure prints one line and exits non-zero; set GUICHET_DEBUG=1 for the traceback.
"""

from __future__ import annotations

import os
import sys

# `check` is Django's system check; ours also checks the database, the mail and the worker, and
# runs Django's as part of it.
ALIASES = {"check": "guichet_check"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.config.settings")
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    if len(argv) == 1:
        print(__doc__.strip())
        return 0
    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:
        if os.environ.get("GUICHET_DEBUG"):
            raise
        reason = " ".join(str(exc).split()) or exc.__class__.__name__
        print(f"guichet: error: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
