"""Workbooks: the "book" interface and its file and live implementations."""
