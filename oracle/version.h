/* version.h - the one place the version is written. */
#ifndef TC_VERSION_H
#define TC_VERSION_H
#define TC_VERSION "0.1.0"
#endif
