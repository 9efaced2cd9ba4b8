"""Webhooks: the platform's side of the conversation (issue 4), delivered to the bot."""
