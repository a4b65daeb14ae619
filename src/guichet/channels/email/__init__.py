"""The email channel: mailboxes, inbound mail (SMTP/LMTP listener, IMAP polling) stored durably
before anything else, parsing, threading into cases, and threaded outbound replies."""
