#ifndef TRIALCHAIN_CFILESYNC_H
#define TRIALCHAIN_CFILESYNC_H

/// Flushes every file of the file system that holds `fd` (Linux `syncfs(2)`): one batched write-out
/// instead of one flush per file, for a stage that added thousands of blobs.
/// - returns: 0 on success; -1 with `errno` set on failure, or where the system has no `syncfs`
///   (`ENOSYS`), in which case the caller flushes file by file.
int trialchain_syncfs(int fd);

/// Starts writing the file's dirty pages to disk and returns without waiting for them (Linux
/// `sync_file_range(2)` with `SYNC_FILE_RANGE_WRITE`), so that a later `fsync` has little left
/// to write. A hint only: durability still comes from that `fsync`.
/// - returns: 0 on success; -1 with `errno` set on failure, or `ENOSYS` where there is no such call.
int trialchain_start_writeback(int fd);

#endif
