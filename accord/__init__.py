"""Accord: the platform runtime shared by the gateway and every service."""
