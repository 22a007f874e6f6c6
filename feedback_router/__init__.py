"""feedback-router: capture, understand, route and cluster community feedback."""

__version__ = "0.1.0"
