"""Mail out (the supplier's notifications) and mail in (what suppliers send back)."""
