"""Where an interrupted walk continues through a collection that a shop pages by position (a page
number or an offset) and sorts by ascending id, filtered the same way on each request.

A position alone is not stable between two requests: records removed from those already read (an
order deleted in the shop) move the unread ones forward, so starting again at the same position
would pass over them.  The resume point therefore keeps both the position after the last complete
page (``read``) and the highest id read (``last_id``), and :func:`resume_position` checks, with one
record's request, that the record just before ``read`` is still one that was read.
:func:`resumable_walk` runs a client's paging that way for an adapter.
"""


def page_resume_point(previous, read, records):
    """The resume point once every record of the page ``records`` (ascending ids) was taken;
    ``read``: the position after that page; ``previous``: the resume point before it, or None."""
    ids = [record["id"] for record in records] + ([previous["last_id"]] if previous else [])
    return {"read": read, "last_id": max(ids)}


def resume_position(resume_from, page_size, id_at):
    """The position (0-based) where the walk of ``resume_from`` continues; ``id_at(position)`` is
    the id of the record at ``position`` now (None past the end).

    While the record before ``read`` is one read before (id at most ``last_id``), every record
    with a higher id, in particular each one not read yet, comes at ``read`` or after it: continue
    there.  Otherwise records were removed from those read: step back a page at a time (down to the
    first) until that holds.  Records that came among those read (a lower id) move the others
    back, so some are read again, which costs a request but loses nothing (the hub stores a payload
    once); each of them joined the filtered collection after the walk passed its place, so it changed
    after the walk started, and the next walk (which asks from that start) meets it."""
    position = resume_from["read"]
    while position > 0:
        record_id = id_at(position - 1)
        if record_id is not None and record_id <= resume_from["last_id"]:
            return position
        position = max(0, position - page_size)
    return 0


def resumable_walk(adapter, resume_from, page_size, id_at, walk):
    """What ``walk(start, page_done)`` yields (a client's paging from position ``start``, calling
    ``page_done(read, records)`` after each complete page), continuing the walk of ``resume_from``
    (:func:`resume_position` with ``id_at``; from the first record without it), while
    ``adapter.resume_point`` follows the last complete page (:func:`page_resume_point`)."""
    adapter.resume_point = resume_from
    start = resume_position(resume_from, page_size, id_at) if resume_from else 0

    def page_done(read, records):
        adapter.resume_point = page_resume_point(adapter.resume_point, read, records)

    return walk(start, page_done)
