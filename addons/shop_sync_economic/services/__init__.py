"""Plain-Python services of the e-conomic connector: no ORM here."""
