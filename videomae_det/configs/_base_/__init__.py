"""Bases of the new-style configs (generated, see ``..``)."""
