/* fsync: making a directory's entries durable, the last step of every
 * "write a temporary file, fsync it, rename it into place" in amphi (the
 * relay's finished recordings, the store's ingested, imported and deleted
 * blobs).  A rename is only on disk once the directory holding the new name
 * has been fsynced (fsync(2), "NOTES"). */
#ifndef AMPHI_FSYNC_H
#define AMPHI_FSYNC_H

/* Opens dir read-only and fsyncs it; 0 or -errno (from open or fsync).
 * Callers for which a failure changes nothing may ignore the result. */
int fsync_dir(const char *dir);

#endif
