/*
 * tc.c - names of the shared result codes (tc.h).
 */
#include "tc.h"

const char *tc_rc_name(enum tc_rc rc)
{
	switch (rc) {
	case TC_OK:          return "ok";
	case TC_END:         return "end";
	case TC_TRUNCATED:   return "truncated";
	case TC_MALFORMED:   return "malformed";
	case TC_UNSUPPORTED: return "unsupported";
	case TC_NOMEM:       return "out of memory";
	case TC_EXHAUSTED:   return "exhausted";
	case TC_IO:          return "i/o error";
	}
	return "unknown";
}
