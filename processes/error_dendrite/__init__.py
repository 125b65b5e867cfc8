"""VLE error dendrite: prospective error compartment."""
