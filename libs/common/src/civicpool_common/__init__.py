"""Shared by the gateway and the services, importing neither."""
