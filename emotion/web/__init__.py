"""The web app's safety: what strangers holding a shared link may send (guard)."""
