"""All SQL lives here, one module per area, as keyword-only functions."""
