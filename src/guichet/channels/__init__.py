"""Contact channels: email, portal, intake API."""
