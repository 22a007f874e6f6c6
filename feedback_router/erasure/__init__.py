"""Erasure on request and retention: an author's data anonymised everywhere this service holds it."""
