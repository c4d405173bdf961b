from .archive import Archive, ArchiveUnavailable
