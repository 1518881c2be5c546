"""Migration of old on-disk stores (G0-G3) to the current layout."""
