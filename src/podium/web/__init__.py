"""The competition website and JSON API (`podium serve`), a thin layer over the service."""
