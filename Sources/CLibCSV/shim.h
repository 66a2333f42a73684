#ifndef TRIALCHAIN_CLIBCSV_SHIM_H
#define TRIALCHAIN_CLIBCSV_SHIM_H
#include <stddef.h>
#include <csv.h>

/// libcsv's space predicate that never trims: every byte of an unquoted field is kept.
/// Plain C, so libcsv does not call through a Swift thunk for every byte it reads.
static inline int trialchain_csv_never_space(unsigned char c) {
    (void)c;
    return 0;
}
#endif
