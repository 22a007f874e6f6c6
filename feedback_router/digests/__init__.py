"""Digests, "you said, we did": what the community said and what became of it."""
