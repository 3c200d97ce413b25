"""Plain-Python services of the WooCommerce connector: no ORM here."""
