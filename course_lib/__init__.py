"""Code of the course."""
