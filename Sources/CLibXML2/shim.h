#ifndef TRIALCHAIN_CLIBXML2_SHIM_H
#define TRIALCHAIN_CLIBXML2_SHIM_H
// libxml2 and Foundation disagree about ICU's types: drop libxml2's ICU view before the other headers.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>

/// `xmlFree` is a global function pointer that Swift 6 refuses to touch; call it through this.
static inline void cxml_free(void *p) { xmlFree(p); }
#endif
