"""Declarations shared by every preset section: typed parameters, sections, the one Registry."""
