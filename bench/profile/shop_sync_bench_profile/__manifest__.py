{
    "name": "Shop Sync bench profiler",
    "summary": "Bench only: profiles each queue job request of the bench server (loaded with --load, never installed)",
    "version": "19.0.1.0.0",
    "license": "LGPL-3",
    "depends": ["queue_job"],
    "installable": True,
}
