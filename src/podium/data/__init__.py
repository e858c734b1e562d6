"""Data: examples, readers, synthetic demo data, preparation and sealing."""
