"""The ``planview`` command line and the benchmark; may import geo, api and maps, never imported by them."""
