#ifndef TRIALCHAIN_CLIBCSV_SHIM_H
#define TRIALCHAIN_CLIBCSV_SHIM_H
#include <stddef.h>
#include <csv.h>
#endif
