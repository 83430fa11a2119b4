/*
 * names.c - file names as messages show them: "-" is standard input, and a
 * name with control characters is escaped so that one message stays one
 * line (cli.h).
 *
 * Apart from cli.c so that the code every target links (flowcfg.c's engine
 * summary, the fuzz harness) does not pull in the command line and, with
 * it, libpcap's filter compiler: a static libpcap drags its capture
 * modules (D-Bus, RDMA ...) in behind pcap_open_dead.
 */
#include <string.h>

#include "cli.h"

const char *file_display_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

const char *name_for_line(const char *name, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)name;
	size_t n = 0;

	while (*u >= 0x20 && *u != 0x7f)
		u++;
	if (*u == '\0')
		return name;            /* the usual case: nothing to escape */
	for (u = (const unsigned char *)name; *u != '\0'; u++) {
		if (n + 5 + 4 > len) {  /* room for the widest escape and "..." */
			memcpy(buf + n, "...", 4);
			return buf;
		}
		if (*u >= 0x20 && *u != 0x7f) {
			buf[n++] = (char)*u;
			continue;
		}
		buf[n++] = '\\';
		switch (*u) {
		case '\n': buf[n++] = 'n'; break;
		case '\t': buf[n++] = 't'; break;
		case '\r': buf[n++] = 'r'; break;
		default:
			buf[n++] = 'x';
			buf[n++] = hex[*u >> 4];
			buf[n++] = hex[*u & 15];
		}
	}
	buf[n] = '\0';
	return buf;
}
