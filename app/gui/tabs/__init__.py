"""One module per tab of the settings window."""
