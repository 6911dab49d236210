"""Evidence: the photos, documents and voice recordings attached to a case (DESIGN.md,
"Evidence (attachments)").

It owns what a file is, told by its content and never by its name (``kinds``, with the look
inside Word and Excel files of ``_office`` and inside MP4-family files of ``_isobmff``), what a
photo must lose before it is kept (``scrub``: its EXIF, GPS above all, and any payload after
the image) and the thumbnail the case page shows, the file's name as people may read it back
(``filenames``), and the attachments themselves (``attachments``: added, listed and read,
sealed under the data key in 1 MiB chunks, each addition an ``attach`` event carrying the
sha256 and each download a ``view_attachment`` event), their re-sealing by ``casework keys
rotate`` and their check by ``casework audit verify`` (``upkeep``).

Nothing deletes an attachment.
"""
