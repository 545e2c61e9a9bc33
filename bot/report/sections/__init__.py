"""The report's sections, one mixin of the builder per concern."""
