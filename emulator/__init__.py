"""send-api-emulator: a local emulator of the Facebook Messenger Platform Send API."""

__version__ = "0.1.0"
