#ifndef TRIALCHAIN_CSQLITETUNING_H
#define TRIALCHAIN_CSQLITETUNING_H

/// Turns off SQLite's process-wide memory statistics (`SQLITE_CONFIG_MEMSTATUS`), which take a
/// global mutex on every allocation and free inside SQLite. Nothing in TrialChain reads them.
///
/// `sqlite3_config` is variadic, which Swift cannot call, hence this wrapper. It only takes effect
/// before SQLite initialises (before the first connection opens); afterwards it changes nothing.
/// - returns: `SQLITE_OK` (0) if applied, `SQLITE_MISUSE` (21) if SQLite was already initialised.
int trialchain_sqlite_disable_memstatus(void);

#endif
