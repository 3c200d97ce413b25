"""Plain-Python services of the hub: no ORM here."""
