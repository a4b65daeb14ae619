from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from guichet.core.errors import ApplicationError


class Command(BaseCommand):
    help = "API tokens: create (prints only the token), list, revoke."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for an agent or customer.")
        create.add_argument("email")
        create.add_argument("--name", default="")
        create.add_argument(
            "--days", type=int, default=None, help="Validity in days (0: no expiry)."
        )
        listing = sub.add_parser("list", help="List a user's tokens.")
        listing.add_argument("email")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **opts):
        from guichet.accounts.models import ApiToken
        from guichet.accounts.services import api_token_create, api_token_revoke

        try:
            if action == "create":
                _token, secret = api_token_create(
                    email=opts["email"], name=opts["name"], days=opts["days"]
                )
                self.stdout.write(secret)
            elif action == "list":
                for token in ApiToken.objects.filter(user__email__iexact=opts["email"]):
                    state = "revoked" if token.revoked_at else "active"
                    expires = token.expires_at.isoformat() if token.expires_at else "never"
                    self.stdout.write(f"{token.prefix}\t{state}\texpires {expires}\t{token.name}")
            elif action == "revoke":
                token = ApiToken.objects.filter(prefix=opts["prefix"]).first()
                if token is None:
                    raise CommandError(f"No token with the prefix {opts['prefix']}.")
                api_token_revoke(token=token)
                self.stdout.write(f"Revoked {token.prefix}.")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
