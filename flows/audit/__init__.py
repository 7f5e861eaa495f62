"""The audit log read back: every event, filtered, for the web's audit page and its CSV export."""
