"""Delivery: renders and sends plain data through apprise (reminders arrive with issue 4).

Imports neither models/ nor flows/.
"""
