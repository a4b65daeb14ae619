"""The customer portal: ask without an account, follow by a one-time link, reply, reopen."""
