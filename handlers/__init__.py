"""The adapters, one folder per platform: `slack/` (Bolt), `web/` (email links and the email
notifier). `transports.py` builds each process's notifiers from the settings.
"""
