"""Single-file training recipes: setup -> train with early stopping -> best weights."""
