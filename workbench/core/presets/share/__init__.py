"""Share bundles (.wbpreset): export, check in a staging folder, import."""
