/*
 * test_decode.c - unit tests of the header decoder (targets/decode.h).
 *
 * Packets are byte arrays made once with scapy 2.5 (the expression is above
 * each one; checksums are scapy's, so they are right). For every valid packet
 * the test decodes every prefix from a malloc'd buffer of exactly that length,
 * so AddressSanitizer sees any read past the capture, twice: as a snapshot-
 * length cut (origlen = full length: must be TC_TRUNCATED with the reason of
 * the layer the cut falls in, never TC_MALFORMED) and as a frame that really
 * was that short on the wire (origlen = prefix: must be TC_MALFORMED with a
 * length reason). Then one test per malformed case, fragments, options,
 * checksums, and the address text against glibc's inet_ntop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

/* ---- packets ---------------------------------------------------------------- */

/* Ether()/IP(src=192.0.2.1, dst=198.51.100.2, id=0x1234, DF)/TCP(40000 > 80,
 * seq=0x01020304, S, win 64240, MSS 1460, SAckOK, TS 100/0, NOP, WScale 7) */
static const uint8_t eth_ipv4_tcp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06,
	0x3c, 0x51, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x02, 0x9c, 0x40,
	0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
	0xfa, 0xf0, 0xbf, 0xdd, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
	0x08, 0x0a, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
	0x03, 0x07,
};

/* Ether()/Dot1Q(vlan=100)/IP(192.0.2.1 > 192.0.2.53)/UDP(5353 > 53)/"hello" */
static const uint8_t vlan_ipv4_udp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x81, 0x00, 0x00, 0x64, 0x08, 0x00, 0x45, 0x00, 0x00, 0x21, 0x00, 0x01,
	0x00, 0x00, 0x40, 0x11, 0xf6, 0x94, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00,
	0x02, 0x35, 0x14, 0xe9, 0x00, 0x35, 0x00, 0x0d, 0x22, 0xad, 0x68, 0x65,
	0x6c, 0x6c, 0x6f,
};

/* Ether()/Dot1AD(vlan=10)/Dot1Q(vlan=20)/IPv6(2001:db8::1 > 2001:db8::2, hlim 60)/
 * TCP(443 > 50000, seq=0xfffffff0, ack=0x11223344, PA, win 1000,
 * NOP NOP SAck(1000-2000, 3000-4000))/"data" */
static const uint8_t qinq_ipv6_tcp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x86, 0xdd, 0x60, 0x00,
	0x00, 0x00, 0x00, 0x2c, 0x06, 0x3c, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x01, 0xbb, 0xc3, 0x50, 0xff, 0xff, 0xff, 0xf0, 0x11, 0x22,
	0x33, 0x44, 0xa0, 0x18, 0x03, 0xe8, 0xf1, 0x0e, 0x00, 0x00, 0x01, 0x01,
	0x05, 0x12, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x00, 0x00,
	0x0b, 0xb8, 0x00, 0x00, 0x0f, 0xa0, 0x64, 0x61, 0x74, 0x61,
};

/* CookedLinux(proto=0x0800)/IP(10.1.1.1 > 10.2.2.2)/TCP(22 > 60000, seq 5, ack 6, A,
 * win 501)/"ssh" */
static const uint8_t sll_ipv4_tcp[] = {
	0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2b, 0x00, 0x02, 0x00, 0x00,
	0x40, 0x06, 0x63, 0xc6, 0x0a, 0x01, 0x01, 0x01, 0x0a, 0x02, 0x02, 0x02,
	0x00, 0x16, 0xea, 0x60, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x06,
	0x50, 0x10, 0x01, 0xf5, 0xd0, 0xe1, 0x00, 0x00, 0x73, 0x73, 0x68,
};

/* CookedLinuxV2(proto=0x86dd)/IPv6(fe80::1 > ff02::fb)/UDP(5353 > 5353)/"mdns" */
static const uint8_t sll2_ipv6_udp[] = {
	0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x04, 0x06,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
	0x00, 0x0c, 0x11, 0x40, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfb,
	0x14, 0xe9, 0x14, 0xe9, 0x00, 0x0c, 0xfb, 0xac, 0x6d, 0x64, 0x6e, 0x73,
};

/* IP(203.0.113.5 > 203.0.113.6, options=[RR(1.2.3.4)])/UDP(123 > 123)/"ntp!", raw */
static const uint8_t raw_ipv4opt_udp[] = {
	0x47, 0x00, 0x00, 0x28, 0x00, 0x03, 0x00, 0x00, 0x40, 0x11, 0xef, 0xaa,
	0xcb, 0x00, 0x71, 0x05, 0xcb, 0x00, 0x71, 0x06, 0x07, 0x07, 0x04, 0x01,
	0x02, 0x03, 0x04, 0x00, 0x00, 0x7b, 0x00, 0x7b, 0x00, 0x0c, 0xa8, 0x3d,
	0x6e, 0x74, 0x70, 0x21,
};

/* IPv6(2001:db8:0:1::10 > 2001:db8:0:2::20)/HopByHop/DestOpt/Routing(segleft 0)/
 * Fragment(offset 0, M 0, id 77)/TCP(1000 > 2000, seq 1, ack 2, FA, win 10)/"bye" */
static const uint8_t raw6_ext_tcp[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x37, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x20, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x2b, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4d,
	0x03, 0xe8, 0x07, 0xd0, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	0x50, 0x11, 0x00, 0x0a, 0x80, 0xed, 0x00, 0x00, 0x62, 0x79, 0x65,
};

/* Loopback(type=2, little-endian)/IP(127.0.0.1 > 127.0.0.1)/TCP(5000 > 6000, R, seq 9) */
static const uint8_t null_ipv4_tcp[] = {
	0x02, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28, 0x00, 0x04, 0x00, 0x00,
	0x40, 0x06, 0x7c, 0xca, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
	0x13, 0x88, 0x17, 0x70, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x04, 0x00, 0x00, 0x86, 0xdd, 0x00, 0x00,
};

/* LINKTYPE_LOOP: AF 24 big-endian, IPv6(::1 > ::1)/UDP(7 > 9)/"x" */
static const uint8_t loop_ipv6_udp[] = {
	0x00, 0x00, 0x00, 0x18, 0x60, 0x00, 0x00, 0x00, 0x00, 0x09, 0x11, 0x40,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x00, 0x09,
	0x00, 0x09, 0x87, 0xca, 0x78,
};

/* LINKTYPE_NULL written big-endian (AF 30, Darwin): IPv6(::1 > ::1)/TCP(7 > 9, S, MSS 16344) */
static const uint8_t nullbe_ipv6_tcp[] = {
	0x00, 0x00, 0x00, 0x1e, 0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x06, 0x40,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x00, 0x09,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0x20, 0x00,
	0x3d, 0xf1, 0x00, 0x00, 0x02, 0x04, 0x3f, 0xd8,
};

/* Ether/PPPoE(session 0x1234)/PPP(0x0021)/IP(192.0.2.7 > 198.51.100.8)/TCP(40000 > 443, A)/"hi" */
static const uint8_t pppoe_ipv4_tcp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x88, 0x64, 0x11, 0x00, 0x12, 0x34, 0x00, 0x2b, 0x21, 0x45, 0x00, 0x00,
	0x2a, 0x00, 0x09, 0x00, 0x00, 0x40, 0x06, 0x8e, 0x82, 0xc0, 0x00, 0x02,
	0x07, 0xc6, 0x33, 0x64, 0x08, 0x9c, 0x40, 0x01, 0xbb, 0x00, 0x00, 0x00,
	0x64, 0x00, 0x00, 0x00, 0xc8, 0x50, 0x10, 0x02, 0x00, 0xb9, 0xfe, 0x00,
	0x00, 0x68, 0x69,
};

/* Ether/Dot1Q(7)/MPLS(100)/MPLS(200, bottom)/IPv6(2001:db8::1 > 2001:db8::2)/UDP(5353 > 53)/"dns" */
static const uint8_t vlan_mpls_ipv6_udp[] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x81, 0x00, 0x00, 0x07, 0x88, 0x47, 0x00, 0x06, 0x40, 0x40, 0x00, 0x0c,
	0x81, 0x40, 0x60, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x11, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x14, 0xe9, 0x00, 0x35, 0x00, 0x0b,
	0xb7, 0xd6, 0x64, 0x6e, 0x73,
};

/* LINKTYPE_PPP: FF 03, 0x0281/MPLS(0: IPv4 explicit null, bottom)/IP/TCP(40000 > 443, A)/"hi" */
static const uint8_t ppp_mpls_ipv4_tcp[] = {
	0xff, 0x03, 0x02, 0x81, 0x00, 0x00, 0x01, 0x01, 0x45, 0x00, 0x00, 0x2a,
	0x00, 0x09, 0x00, 0x00, 0x40, 0x06, 0x8e, 0x82, 0xc0, 0x00, 0x02, 0x07,
	0xc6, 0x33, 0x64, 0x08, 0x9c, 0x40, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x64,
	0x00, 0x00, 0x00, 0xc8, 0x50, 0x10, 0x02, 0x00, 0xb9, 0xfe, 0x00, 0x00,
	0x68, 0x69,
};

/* LINKTYPE_PPP_HDLC without address/control (ACFC), 1-byte protocol 0x21 (PFC)/IP(10.0.0.1 > 10.0.0.2)/UDP(123 > 123)/"ntp" */
static const uint8_t ppp_acfc_pfc_ipv4_udp[] = {
	0x21, 0x45, 0x00, 0x00, 0x1f, 0x00, 0x03, 0x00, 0x00, 0x40, 0x11, 0x66,
	0xc9, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x7b, 0x00,
	0x7b, 0x00, 0x0b, 0x0c, 0x6b, 0x6e, 0x74, 0x70,
};

/* LINKTYPE_C_HDLC (0F 00 86DD)/IPv6(2001:db8::a > 2001:db8::b)/TCP(22 > 50000, PA)/"x" */
static const uint8_t chdlc_ipv6_tcp[] = {
	0x0f, 0x00, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x15, 0x06, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x0a, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x16, 0xc3, 0x50,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x50, 0x18, 0x00, 0x64,
	0x18, 0x77, 0x00, 0x00, 0x78,
};

/* LINKTYPE_PPP_ETHER: PPPoE(session 1)/PPP(0x0057)/IPv6/UDP(5353 > 53)/"dns" */
static const uint8_t pppether_ipv6_udp[] = {
	0x11, 0x00, 0x00, 0x01, 0x00, 0x34, 0x57, 0x60, 0x00, 0x00, 0x00, 0x00,
	0x0b, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x14,
	0xe9, 0x00, 0x35, 0x00, 0x0b, 0xb7, 0xd6, 0x64, 0x6e, 0x73,
};

/* LINKTYPE_ARCNET_LINUX, RFC 1051 (0xF0): station 0xbe > 0x50, offset 0xc300/
 * IP(192.0.2.40 > 198.51.100.80, id 40)/TCP(1026 > 80, seq 1000, S, win 1872)/"arc" */
static const uint8_t arcnet_ipv4_tcp[] = {
	0xbe, 0x50, 0xc3, 0x00, 0xf0, 0x45, 0x00, 0x00, 0x2b, 0x00, 0x28, 0x00,
	0x00, 0x40, 0x06, 0x8d, 0xf9, 0xc0, 0x00, 0x02, 0x28, 0xc6, 0x33, 0x64,
	0x50, 0x04, 0x02, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00,
	0x00, 0x50, 0x02, 0x07, 0x50, 0xef, 0x36, 0x00, 0x00, 0x61, 0x72, 0x63,
};

/* LINKTYPE_ARCNET_LINUX, IPv6 (0xC4, RFC 2497): split flag 0, sequence 362/
 * IPv6(2001:db8::40 > 2001:db8::50)/UDP(5353 > 53)/"v6!" */
static const uint8_t arcnet_ipv6_udp[] = {
	0xbe, 0x50, 0xb2, 0x00, 0xc4, 0x00, 0x01, 0x6a, 0x60, 0x00, 0x00, 0x00,
	0x00, 0x0b, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50,
	0x14, 0xe9, 0x00, 0x35, 0x00, 0x0b, 0xf7, 0x81, 0x76, 0x36, 0x21,
};

/* LINKTYPE_IPOIB: 40-byte pseudo-header (16 zero bytes, 4 unused, destination
 * QPN 0x550 with the connected-mode bit, GID fe80::10:e000:664a:b451), EtherType
 * 0x0800, reserved/IP(192.168.56.10 > 192.168.56.24, id 9)/UDP(40000 > 4791)/"roce" */
static const uint8_t ipoib_ipv4_udp[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x2f, 0xa3, 0x00, 0x0a, 0x80, 0x00, 0x05, 0x50,
	0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xe0, 0x00,
	0x66, 0x4a, 0xb4, 0x51, 0x08, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x20,
	0x00, 0x09, 0x00, 0x00, 0x40, 0x11, 0x89, 0x51, 0xc0, 0xa8, 0x38, 0x0a,
	0xc0, 0xa8, 0x38, 0x18, 0x9c, 0x40, 0x12, 0xb7, 0x00, 0x0c, 0x89, 0x96,
	0x72, 0x6f, 0x63, 0x65,
};

/* LINKTYPE_IPNET: version 1, family 26 (Solaris's AF_INET6), hook 0, length
 * 62, ifindex 2, group 0, zones 0xffffffff > 0/IPv6(2001:db8::a > 2001:db8::b,
 * hlim 255)/TCP(22 > 50000, seq 1, ack 2, PA, win 100)/"ok" */
static const uint8_t ipnet_ipv6_tcp[] = {
	0x01, 0x1a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3e, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x16, 0x06, 0xff, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x0b, 0x00, 0x16, 0xc3, 0x50, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x02, 0x50, 0x18, 0x00, 0x64, 0x21, 0x0b, 0x00, 0x00,
	0x6f, 0x6b,
};

/* LINKTYPE_PFLOG, a 61-byte header (NetBSD, Darwin and older systems' pfloghdr:
 * rule 5, on em0, in) padded to 64, family 2/IP(203.0.113.5 > 198.51.100.25,
 * id 61)/TCP(51000 > 25, seq 7, S, win 1024)/"pf" */
static const uint8_t pflog_ipv4_tcp[] = {
	0x3d, 0x02, 0x00, 0x00, 0x65, 0x6d, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x2a, 0x00, 0x3d, 0x00, 0x00,
	0x40, 0x06, 0x14, 0x3f, 0xcb, 0x00, 0x71, 0x05, 0xc6, 0x33, 0x64, 0x19,
	0xc7, 0x38, 0x00, 0x19, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x02, 0x04, 0x00, 0x0d, 0xcf, 0x00, 0x00, 0x70, 0x66,
};

/* LINKTYPE_PFLOG, OpenBSD's 100-byte header (out), family 24 (OpenBSD's
 * AF_INET6)/IPv6(2001:db8::5 > 2001:db8::25)/UDP(40001 > 123)/"ntp" */
static const uint8_t pflog_ipv6_udp[] = {
	0x64, 0x18, 0x00, 0x00, 0x65, 0x6d, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x11, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x05, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x25, 0x9c, 0x41, 0x00, 0x7b,
	0x00, 0x0b, 0x29, 0x0b, 0x6e, 0x74, 0x70,
};

/* LINKTYPE_NFLOG, little-endian TLVs: family 2, group 5, packet header TLV
 * (hw_protocol 0x0800, hook 1), prefix "ab", payload:
 * IP(198.51.100.7 > 192.0.2.9, id 7)/UDP(33000 > 514)/"log!" */
static const uint8_t nflog_ipv4_udp[] = {
	0x02, 0x00, 0x00, 0x05, 0x08, 0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00,
	0x07, 0x00, 0x0a, 0x00, 0x61, 0x62, 0x00, 0x00, 0x24, 0x00, 0x09, 0x00,
	0x45, 0x00, 0x00, 0x20, 0x00, 0x07, 0x00, 0x00, 0x40, 0x11, 0x8e, 0x82,
	0xc6, 0x33, 0x64, 0x07, 0xc0, 0x00, 0x02, 0x09, 0x80, 0xe8, 0x02, 0x02,
	0x00, 0x0c, 0xbd, 0x16, 0x6c, 0x6f, 0x67, 0x21,
};

/* LINKTYPE_NFLOG, big-endian TLVs: family 10, group 1, packet header TLV
 * (0x86dd, hook 3), a nested type 18 (conntrack, flag 0x8000), payload:
 * IPv6(2001:db8::7 > 2001:db8::9)/TCP(443 > 50001, seq 100, ack 200, PA,
 * win 512)/"tls!" */
static const uint8_t nflogbe_ipv6_tcp[] = {
	0x0a, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x86, 0xdd, 0x03, 0x00,
	0x00, 0x0c, 0x80, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x44, 0x00, 0x09, 0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x06, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x07, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x01, 0xbb, 0xc3, 0x51,
	0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0xc8, 0x50, 0x18, 0x02, 0x00,
	0xa4, 0x80, 0x00, 0x00, 0x74, 0x6c, 0x73, 0x21,
};

struct vec {
	const char *name;
	uint32_t linktype;
	const uint8_t *bytes;
	size_t len;
	size_t link_end;    /* first byte of the IP header */
	size_t l3_end;      /* first byte of the transport header */
	size_t l4_end;      /* first byte of the transport payload */
	uint8_t ipver;
	enum l4_kind l4;
	uint32_t payload;   /* transport payload length */
};

#define VEC(n, lt, le, l3, l4e, v, k, pl) { #n, lt, n, sizeof n, le, l3, l4e, v, k, pl }

static const struct vec vecs[] = {
	VEC(eth_ipv4_tcp,    LT_EN10MB,     14, 34, 74, 4, L4_TCP, 0),
	VEC(vlan_ipv4_udp,   LT_EN10MB,     18, 38, 46, 4, L4_UDP, 5),
	VEC(qinq_ipv6_tcp,   LT_EN10MB,     22, 62, 102, 6, L4_TCP, 4),
	VEC(sll_ipv4_tcp,    LT_LINUX_SLL,  16, 36, 56, 4, L4_TCP, 3),
	VEC(sll2_ipv6_udp,   LT_LINUX_SLL2, 20, 60, 68, 6, L4_UDP, 4),
	VEC(raw_ipv4opt_udp, LT_RAW,         0, 28, 36, 4, L4_UDP, 4),
	VEC(raw6_ext_tcp,    LT_IPV6,        0, 72, 92, 6, L4_TCP, 3),
	VEC(null_ipv4_tcp,   LT_NULL,        4, 24, 44, 4, L4_TCP, 0),
	VEC(loop_ipv6_udp,   LT_LOOP,        4, 44, 52, 6, L4_UDP, 1),
	VEC(nullbe_ipv6_tcp, LT_NULL,        4, 44, 68, 6, L4_TCP, 0),
	VEC(pppoe_ipv4_tcp,  LT_EN10MB,     21, 41, 61, 4, L4_TCP, 2),
	VEC(vlan_mpls_ipv6_udp, LT_EN10MB,  26, 66, 74, 6, L4_UDP, 3),
	VEC(ppp_mpls_ipv4_tcp, LT_PPP,       8, 28, 48, 4, L4_TCP, 2),
	VEC(ppp_acfc_pfc_ipv4_udp, LT_PPP_HDLC, 1, 21, 29, 4, L4_UDP, 3),
	VEC(chdlc_ipv6_tcp,  LT_C_HDLC,      4, 44, 64, 6, L4_TCP, 1),
	VEC(pppether_ipv6_udp, LT_PPP_ETHER, 7, 47, 55, 6, L4_UDP, 3),
	VEC(arcnet_ipv4_tcp, LT_ARCNET_LINUX, 5, 25, 45, 4, L4_TCP, 3),
	VEC(arcnet_ipv6_udp, LT_ARCNET_LINUX, 8, 48, 56, 6, L4_UDP, 3),
	VEC(ipoib_ipv4_udp,  LT_IPOIB,      44, 64, 72, 4, L4_UDP, 4),
	VEC(ipnet_ipv6_tcp,  LT_IPNET,      24, 64, 84, 6, L4_TCP, 2),
	VEC(pflog_ipv4_tcp,  LT_PFLOG,      64, 84, 104, 4, L4_TCP, 2),
	VEC(pflog_ipv6_udp,  LT_PFLOG,     100, 140, 148, 6, L4_UDP, 3),
	VEC(nflog_ipv4_udp,  LT_NFLOG,      24, 44, 52, 4, L4_UDP, 4),
	VEC(nflogbe_ipv6_tcp, LT_NFLOG,     28, 68, 88, 6, L4_TCP, 4),
};

/* Decode the first caplen bytes of b (wire length origlen) from a heap copy
 * of exactly caplen bytes, so that any over-read is an ASan report. */
static enum tc_rc decode_copy(uint32_t lt, const uint8_t *b, size_t caplen, size_t origlen,
			      struct pkt *p)
{
	uint8_t *buf = malloc(caplen);
	enum tc_rc rc;

	assert_true(buf != NULL || caplen == 0);
	if (caplen)
		memcpy(buf, b, caplen);
	rc = decode_packet(lt, buf, caplen, origlen, p);
	/* views point into buf: drop them with it */
	p->l3 = p->l4hdr = NULL;
	free(buf);
	return rc;
}

static bool has_err(const struct pkt *p, enum pkt_err e)
{
	for (unsigned i = 0; i < p->n_err; i++)
		if (p->err[i] == e)
			return true;
	return false;
}

/* A copy of v with some bytes replaced, decoded at full length (or at len,
 * when len is not 0, for both caplen and origlen). */
struct patch { size_t off; uint8_t val; };

static enum tc_rc decode_patched(const struct vec *v, const struct patch *pt, size_t n,
				 size_t len, struct pkt *p)
{
	uint8_t buf[256];
	size_t i;

	assert_true(v->len <= sizeof buf);
	memcpy(buf, v->bytes, v->len);
	for (i = 0; i < n; i++)
		buf[pt[i].off] = pt[i].val;
	if (len == 0)
		len = v->len;
	return decode_copy(v->linktype, buf, len, len, p);
}

static const struct vec *find_vec(const char *name)
{
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
		if (strcmp(vecs[i].name, name) == 0)
			return &vecs[i];
	fail_msg("no vector %s", name);
	return NULL;
}

static enum pkt_err l4_trunc(enum l4_kind k)
{
	return k == L4_TCP ? PE_TCP_TRUNCATED : PE_UDP_TRUNCATED;
}

/* ---- whole packets and every prefix ---------------------------------------------- */

static void test_full_packets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];
		struct pkt p;

		print_message("%s\n", v->name);
		assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &p), TC_OK);
		assert_int_equal(p.status, TC_OK);
		assert_int_equal(p.n_err, 0);
		assert_true(p.have_ip);
		assert_true(p.have_l4);
		assert_int_equal(p.ipver, v->ipver);
		assert_int_equal(p.l4, v->l4);
		assert_int_equal(p.ip_hlen, v->l3_end - v->link_end);
		assert_int_equal(p.ip_len, v->len - v->link_end);
		assert_int_equal(p.l3_caplen, v->len - v->link_end);
		assert_int_equal(p.l4_caplen, v->len - v->l3_end);
		assert_int_equal(p.payload_len, v->payload);
		assert_false(p.is_fragment);   /* raw6_ext_tcp's is atomic (RFC 6946) */
		if (v->l4 == L4_TCP)
			assert_int_equal(p.tcp_hlen, v->l4_end - v->l3_end);
		else
			assert_int_equal(p.udp_len, v->l4_end - v->l3_end + v->payload);
	}
}

static void test_every_prefix_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];

		for (size_t k = 0; k < v->len; k++) {
			struct pkt p;
			enum tc_rc rc = decode_copy(v->linktype, v->bytes, k, v->len, &p);

			if (k >= v->l4_end) {     /* only payload missing: headers complete */
				if (rc != TC_OK)
					fail_msg("%s prefix %zu: %s", v->name, k, tc_rc_name(rc));
				assert_true(p.have_l4);
				assert_int_equal(p.payload_len, v->payload);
				assert_int_equal(p.l4_caplen, k - v->l3_end);
				continue;
			}
			if (rc != TC_TRUNCATED || p.n_err != 1)
				fail_msg("%s prefix %zu: %s, %u reasons (first %s)", v->name, k,
					 tc_rc_name(rc), p.n_err, pkt_err_name(p.err[0]));
			assert_int_equal(p.status, TC_TRUNCATED);
			assert_false(p.have_l4);
			assert_null(p.l4hdr);
			if (k < v->link_end) {
				assert_int_equal(p.err[0], PE_LINK_TRUNCATED);
				assert_false(p.have_ip);
			} else if (k < v->l3_end) {
				assert_int_equal(p.err[0], PE_IP_TRUNCATED);
				assert_false(p.have_ip);
				assert_int_equal(p.ipver, 0);
			} else {
				assert_int_equal(p.err[0], l4_trunc(v->l4));
				assert_true(p.have_ip);
				assert_int_equal(p.ipver, v->ipver);
				assert_int_equal(p.l4, v->l4);
			}
		}
	}
}

/* The same prefixes, but as frames that really ended there: every IP length
 * now claims more than the wire had, which is malformed, not truncated.
 * NFLOG is left to test_nflog: a message may end after any TLV (no payload:
 * not IP), and a payload TLV longer than the frame is the link layer's
 * contradiction before the IP layer sees it. */
static void test_every_prefix_short_on_wire(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];
		size_t ip_min = v->ipver == 4 ? 20 : 40;

		if (v->linktype == LT_NFLOG)
			continue;
		for (size_t k = 0; k < v->len; k++) {
			struct pkt p;
			enum tc_rc rc = decode_copy(v->linktype, v->bytes, k, k, &p);
			enum pkt_err want = k < v->link_end ? PE_LINK_SHORT :
					    k < v->link_end + ip_min ? PE_IP_SHORT :
					    PE_IP_LEN_EXCEEDS_FRAME;

			if (rc != TC_MALFORMED || p.n_err != 1 || p.err[0] != want)
				fail_msg("%s wire %zu: %s, %u reasons (first %s), want %s", v->name,
					 k, tc_rc_name(rc), p.n_err, pkt_err_name(p.err[0]),
					 pkt_err_name(want));
			assert_false(p.have_ip);
			assert_false(p.have_l4);
		}
	}
}

/* ---- fields -------------------------------------------------------------------- */

static void test_fields_ethernet_tcp(void **state)
{
	const struct vec *v = find_vec("eth_ipv4_tcp");
	static const uint8_t src[16] = { 192, 0, 2, 1 }, dst[16] = { 198, 51, 100, 2 };
	struct pkt p;

	(void)state;
	assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(p.ethertype, 0x0800);
	assert_int_equal(p.n_vlan, 0);
	assert_memory_equal(p.src, src, 16);
	assert_memory_equal(p.dst, dst, 16);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.ip_id, 0x1234);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.seq, 0x01020304u);
	assert_int_equal(p.ack, 0);
	assert_int_equal(p.flags, TH_SYN);
	assert_int_equal(p.win, 64240);
	assert_true(p.opt.has_mss);
	assert_int_equal(p.opt.mss, 1460);
	assert_true(p.opt.sack_ok);
	assert_true(p.opt.has_ts);
	assert_int_equal(p.opt.ts_val, 100);
	assert_int_equal(p.opt.ts_ecr, 0);
	assert_true(p.opt.has_wscale);
	assert_int_equal(p.opt.wscale, 7);
	assert_int_equal(p.opt.n_sack, 0);
}

static void test_fields_qinq_sack(void **state)
{
	const struct vec *v = find_vec("qinq_ipv6_tcp");
	char a[46];
	struct pkt p;

	(void)state;
	assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(p.n_vlan, 2);
	assert_int_equal(p.vlan[0], 10);
	assert_int_equal(p.vlan[1], 20);
	assert_int_equal(p.ethertype, 0x86DD);
	assert_string_equal(addr_format(6, p.src, a), "2001:db8::1");
	assert_string_equal(addr_format(6, p.dst, a), "2001:db8::2");
	assert_int_equal(p.ttl, 60);
	assert_int_equal(p.seq, 0xfffffff0u);
	assert_int_equal(p.ack, 0x11223344u);
	assert_int_equal(p.flags, TH_PSH | TH_ACK);
	assert_int_equal(p.opt.n_sack, 2);
	assert_int_equal(p.opt.sack[0][0], 1000);
	assert_int_equal(p.opt.sack[0][1], 2000);
	assert_int_equal(p.opt.sack[1][0], 3000);
	assert_int_equal(p.opt.sack[1][1], 4000);
	assert_false(p.opt.has_mss);
}

static void test_fields_other_links(void **state)
{
	char a[46];
	struct pkt p;
	const struct vec *v;

	(void)state;
	v = find_vec("vlan_ipv4_udp");
	assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(p.n_vlan, 1);
	assert_int_equal(p.vlan[0], 100);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.udp_len, 13);

	v = find_vec("sll2_ipv6_udp");
	assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &p), TC_OK);
	assert_string_equal(addr_format(6, p.dst, a), "ff02::fb");

	v = find_vec("raw_ipv4opt_udp");
	assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(p.ip_hlen, 28);
	assert_string_equal(addr_format(4, p.src, a), "203.0.113.5");

	v = find_vec("raw6_ext_tcp");
	assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(p.proto, 6);
	assert_false(p.is_fragment);          /* an atomic fragment is whole (RFC 6946) */
	assert_false(p.later_fragment);
	assert_int_equal(p.flags, TH_FIN | TH_ACK);

	/* the same IPv6 bytes through raw 101 and the old raw numbers */
	assert_int_equal(decode_copy(LT_RAW, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(decode_copy(LT_RAW_OLD12, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(decode_copy(LT_RAW_OLD14, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(p.ipver, 6);

	v = find_vec("null_ipv4_tcp");
	assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(p.flags, TH_RST);
	v = find_vec("nullbe_ipv6_tcp");
	assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &p), TC_OK);
	assert_int_equal(p.opt.mss, 16344);
	/* pcap's FCS-length bits above the link type are ignored */
	v = find_vec("eth_ipv4_tcp");
	assert_int_equal(decode_copy(0x30000001u, v->bytes, v->len, v->len, &p), TC_OK);
}

/* BSD loopback: every AF_INET6 value, in both byte orders for LINKTYPE_NULL. */
static void test_loopback_families(void **state)
{
	const struct vec *v = find_vec("nullbe_ipv6_tcp");
	static const uint8_t afs[] = { 24, 28, 30 };
	uint8_t buf[sizeof nullbe_ipv6_tcp];
	struct pkt p;

	(void)state;
	memcpy(buf, v->bytes, v->len);
	for (size_t i = 0; i < sizeof afs; i++) {
		memset(buf, 0, 4);
		buf[0] = afs[i];                                 /* little-endian */
		assert_int_equal(decode_copy(LT_NULL, buf, v->len, v->len, &p), TC_OK);
		memset(buf, 0, 4);
		buf[3] = afs[i];                                 /* big-endian */
		assert_int_equal(decode_copy(LT_NULL, buf, v->len, v->len, &p), TC_OK);
		assert_int_equal(decode_copy(LT_LOOP, buf, v->len, v->len, &p), TC_OK);
		assert_int_equal(p.ipver, 6);
	}
	memset(buf, 0, 4);
	buf[0] = 10;                                             /* Linux AF_INET6: not BSD */
	assert_int_equal(decode_copy(LT_NULL, buf, v->len, v->len, &p), TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
}

/* ---- malformed ------------------------------------------------------------------ */

static void expect_malformed(const struct vec *v, const struct patch *pt, size_t n,
			     enum pkt_err why, bool ip_kept)
{
	struct pkt p;
	enum tc_rc rc = decode_patched(v, pt, n, 0, &p);

	if (rc != TC_MALFORMED || !has_err(&p, why))
		fail_msg("%s: %s (first reason %s), want malformed %s", v->name, tc_rc_name(rc),
			 pkt_err_name(p.err[0]), pkt_err_name(why));
	assert_int_equal(p.status, TC_MALFORMED);
	assert_int_equal(p.have_ip, ip_kept);
	assert_false(p.have_l4);
	assert_null(p.l4hdr);
	if (!ip_kept)
		assert_null(p.l3);
}

static void test_malformed_ipv4(void **state)
{
	const struct vec *e = find_vec("eth_ipv4_tcp");
	const struct vec *r = find_vec("raw_ipv4opt_udp");

	(void)state;
	expect_malformed(e, (struct patch[]){ { 14, 0x44 } }, 1, PE_IP_BAD_IHL, false);
	expect_malformed(e, (struct patch[]){ { 14, 0x65 } }, 1, PE_IP_BAD_VERSION, false);
	expect_malformed(r, (struct patch[]){ { 0, 0x57 } }, 1, PE_IP_BAD_VERSION, false);
	/* total length 19 < 20-byte header; 0x1b < IHL 7 * 4 */
	expect_malformed(e, (struct patch[]){ { 16, 0 }, { 17, 19 } }, 2, PE_IP_BAD_TOTLEN, false);
	expect_malformed(r, (struct patch[]){ { 2, 0 }, { 3, 27 } }, 2, PE_IP_BAD_TOTLEN, false);
	/* total length 80 > the 60 bytes on the wire */
	expect_malformed(e, (struct patch[]){ { 16, 0 }, { 17, 80 } }, 2, PE_IP_LEN_EXCEEDS_FRAME,
			 false);
}

static void test_raw_version_by_linktype(void **state)
{
	const struct vec *v4 = find_vec("raw_ipv4opt_udp"), *v6 = find_vec("raw6_ext_tcp");
	struct pkt p;

	(void)state;
	assert_int_equal(decode_copy(LT_IPV4, v6->bytes, v6->len, v6->len, &p), TC_MALFORMED);
	assert_int_equal(p.err[0], PE_IP_BAD_VERSION);
	assert_int_equal(decode_copy(LT_IPV6, v4->bytes, v4->len, v4->len, &p), TC_MALFORMED);
	assert_int_equal(p.err[0], PE_IP_BAD_VERSION);
	assert_int_equal(decode_copy(LT_IPV4, v4->bytes, v4->len, v4->len, &p), TC_OK);
}

static void test_malformed_tcp(void **state)
{
	const struct vec *e = find_vec("eth_ipv4_tcp");

	(void)state;
	/* data offset 4 (< 5) and 15 (60 bytes > the 40-byte segment) */
	expect_malformed(e, (struct patch[]){ { 46, 0x40 } }, 1, PE_TCP_BAD_OFFSET, true);
	expect_malformed(e, (struct patch[]){ { 46, 0xF0 } }, 1, PE_TCP_BAD_OFFSET, true);
	/* IP total length 36 leaves a 16-byte segment: no TCP header fits */
	expect_malformed(e, (struct patch[]){ { 17, 36 } }, 1, PE_TCP_BAD_OFFSET, true);
}

static void test_malformed_udp(void **state)
{
	const struct vec *v = find_vec("vlan_ipv4_udp");
	struct pkt p;

	(void)state;
	expect_malformed(v, (struct patch[]){ { 43, 7 } }, 1, PE_UDP_BAD_LENGTH, true);
	expect_malformed(v, (struct patch[]){ { 43, 14 } }, 1, PE_UDP_BAD_LENGTH, true);
	/* IP total length 27 leaves 7 bytes: no UDP header fits */
	expect_malformed(v, (struct patch[]){ { 21, 27 } }, 1, PE_UDP_BAD_LENGTH, true);
	/* a UDP length below the IP payload is legal: payload follows UDP */
	assert_int_equal(decode_patched(v, (struct patch[]){ { 43, 10 } }, 1, 0, &p), TC_OK);
	assert_int_equal(p.payload_len, 2);
	/* the first fragment of a larger datagram: UDP length counts all of it */
	assert_int_equal(decode_patched(v, (struct patch[]){ { 24, 0x20 }, { 42, 1 } }, 2, 0, &p),
			 TC_OK);
	assert_true(p.is_fragment);
	assert_false(p.later_fragment);
	assert_true(p.have_l4);
	assert_int_equal(p.payload_len, 256 + 13 - 8);
}

static void test_ethernet_padding_and_tso(void **state)
{
	const struct vec *v = find_vec("eth_ipv4_tcp");
	uint8_t buf[sizeof eth_ipv4_tcp + 6] = { 0 };
	struct pkt p;

	(void)state;
	/* six bytes of trailer: the datagram still ends at its total length */
	memcpy(buf, v->bytes, v->len);
	assert_int_equal(decode_copy(v->linktype, buf, sizeof buf, sizeof buf, &p), TC_OK);
	assert_int_equal(p.ip_len, 60);
	assert_int_equal(p.l3_caplen, 60);
	assert_int_equal(p.l4_caplen, 40);
	assert_int_equal(p.payload_len, 0);
	/* total length 0 (TSO): the wire length stands in, trailer included */
	buf[16] = buf[17] = 0;
	assert_int_equal(decode_copy(v->linktype, buf, sizeof buf, sizeof buf, &p), TC_OK);
	assert_int_equal(p.ip_len, 66);
	assert_int_equal(p.payload_len, 6);
	/* ... and the wire length, not the captured one */
	assert_int_equal(decode_copy(v->linktype, buf, v->len, 1514, &p), TC_OK);
	assert_int_equal(p.ip_len, 1500);
	assert_int_equal(p.payload_len, 1500 - 20 - 40);
	assert_int_equal(p.l3_caplen, 60);
}

/* Frames whose captured length exceeds the original length are judged by
 * what was captured. */
static void test_caplen_above_origlen(void **state)
{
	const struct vec *v = find_vec("eth_ipv4_tcp");
	struct pkt p;

	(void)state;
	assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, 20, &p), TC_OK);
	assert_true(p.have_l4);
}

static void test_fragments(void **state)
{
	const struct vec *v4 = find_vec("vlan_ipv4_udp"), *v6 = find_vec("raw6_ext_tcp");
	struct pkt p;

	(void)state;
	/* IPv4 offset 2 (16 bytes): counted, not parsed as UDP */
	assert_int_equal(decode_patched(v4, (struct patch[]){ { 25, 2 } }, 1, 0, &p), TC_OK);
	assert_true(p.have_ip);
	assert_true(p.is_fragment);
	assert_true(p.later_fragment);
	assert_false(p.have_l4);
	assert_int_equal(p.l4, L4_NONE);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_IP_FRAGMENT);
	/* MF alone: the first fragment, parsed */
	assert_int_equal(decode_patched(v4, (struct patch[]){ { 24, 0x20 } }, 1, 0, &p), TC_OK);
	assert_true(p.is_fragment);
	assert_false(p.later_fragment);
	assert_true(p.have_l4);
	/* IPv6 fragment header offset 1 (8 bytes) */
	assert_int_equal(decode_patched(v6, (struct patch[]){ { 67, 0x08 } }, 1, 0, &p), TC_OK);
	assert_true(p.later_fragment);
	assert_false(p.have_l4);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.err[0], PE_IP_FRAGMENT);
	/* IPv6 M flag alone */
	assert_int_equal(decode_patched(v6, (struct patch[]){ { 67, 0x01 } }, 1, 0, &p), TC_OK);
	assert_true(p.is_fragment);
	assert_true(p.have_l4);
}

/* An IPv6 packet (raw, LINKTYPE_IPV6) with n destination-options headers
 * (8 bytes each) before an 8-byte UDP header. */
static size_t build_ext_chain(uint8_t *b, size_t cap, unsigned n)
{
	size_t len = 40 + 8 * (size_t)n + 8;
	size_t o = 40;

	assert_true(len <= cap);
	memset(b, 0, len);
	b[0] = 0x60;
	b[4] = (uint8_t)((len - 40) >> 8);
	b[5] = (uint8_t)(len - 40);
	b[6] = n ? 60 : 17;
	b[7] = 64;
	b[23] = 1;                       /* src ::1, dst ::2 */
	b[39] = 2;
	for (unsigned i = 0; i < n; i++, o += 8)
		b[o] = i + 1 < n ? 60 : 17;  /* next header; length 0 = 8 bytes */
	b[o + 1] = 7;                    /* UDP 7 > 9, length 8 */
	b[o + 3] = 9;
	b[o + 5] = 8;
	return len;
}

static void test_ipv6_ext_chain(void **state)
{
	uint8_t b[256];
	struct pkt p;
	size_t len;

	(void)state;
	len = build_ext_chain(b, sizeof b, PKT_MAX_EXTHDRS);
	assert_int_equal(decode_copy(LT_IPV6, b, len, len, &p), TC_OK);
	assert_int_equal(p.ip_hlen, 40 + 8 * PKT_MAX_EXTHDRS);
	assert_int_equal(p.dport, 9);
	len = build_ext_chain(b, sizeof b, PKT_MAX_EXTHDRS + 1);
	assert_int_equal(decode_copy(LT_IPV6, b, len, len, &p), TC_MALFORMED);
	assert_int_equal(p.err[0], PE_IP6_EXT_TOO_DEEP);
	assert_false(p.have_ip);
	/* every prefix of the deepest legal chain is truncated, never malformed */
	len = build_ext_chain(b, sizeof b, PKT_MAX_EXTHDRS);
	for (size_t k = 0; k < len; k++) {
		assert_int_equal(decode_copy(LT_IPV6, b, k, len, &p), TC_TRUNCATED);
		assert_int_equal(p.err[0], k < 40 + 8 * PKT_MAX_EXTHDRS ? PE_IP_TRUNCATED
									 : PE_UDP_TRUNCATED);
	}
}

static void test_ipv6_bad_ext(void **state)
{
	const struct vec *v = find_vec("raw6_ext_tcp");
	uint8_t b[256];
	struct pkt p;
	size_t len;

	(void)state;
	/* payload length 16 covers hop-by-hop and destination options only:
	 * the routing header runs past the payload */
	expect_malformed(v, (struct patch[]){ { 5, 16 } }, 1, PE_IP6_BAD_EXT, false);
	/* payload length 0 without a jumbo option: nothing fits */
	expect_malformed(v, (struct patch[]){ { 5, 0 } }, 1, PE_IP6_BAD_EXT, false);
	/* a destination-options length of 255 (2048 bytes) past the payload */
	expect_malformed(v, (struct patch[]){ { 49, 255 } }, 1, PE_IP6_BAD_EXT, false);
	/* payload length beyond the frame */
	expect_malformed(v, (struct patch[]){ { 5, 0x38 } }, 1, PE_IP_LEN_EXCEEDS_FRAME, false);
	/* a jumbogram (RFC 2675): payload length 0, hop-by-hop with Jumbo Payload */
	len = build_ext_chain(b, sizeof b, 1);
	b[4] = b[5] = 0;
	b[6] = 0;                        /* hop-by-hop, not destination options */
	b[42] = 0xC2;                    /* option Jumbo Payload, length 4 */
	b[43] = 4;
	b[47] = 16;                      /* 8 (hop-by-hop) + 8 (UDP) */
	assert_int_equal(decode_copy(LT_IPV6, b, len, len, &p), TC_OK);
	assert_int_equal(p.ip_len, 56);
	assert_int_equal(p.dport, 9);
	b[47] = 17;                      /* one byte more than the frame */
	assert_int_equal(decode_copy(LT_IPV6, b, len, len, &p), TC_MALFORMED);
	assert_int_equal(p.err[0], PE_IP_LEN_EXCEEDS_FRAME);
	for (size_t k = 40; k < 48; k++) {
		b[47] = 16;
		assert_int_equal(decode_copy(LT_IPV6, b, k, len, &p), TC_TRUNCATED);
		assert_int_equal(p.err[0], PE_IP_TRUNCATED);
	}
}

/* Linux BIG TCP over IPv6 without the hop-by-hop header (tcpdump's
 * "presumed BIG TCP", corpus/tcpdump-tests/bigtcp-ipv6.pcap): payload length
 * 0 with TCP next stands for the wire length, as IPv4's total length 0
 * does; with any other next header a payload length of 0 stays literal. */
static void test_ipv6_big_tcp(void **state)
{
	const struct vec *v = find_vec("qinq_ipv6_tcp");
	uint8_t b[sizeof qinq_ipv6_tcp];
	struct pkt p;
	size_t l3 = v->link_end, wire = 70000;

	(void)state;
	memcpy(b, v->bytes, v->len);
	b[l3 + 4] = b[l3 + 5] = 0;
	/* a packet whose payload the 16-bit field could hold: Linux never
	 * writes 0 for it, so 0 is literal and the TCP header does not fit
	 * (tshark: Malformed Packet); also at exactly 65,535 bytes of payload */
	assert_int_equal(decode_copy(v->linktype, b, v->len, v->len, &p), TC_MALFORMED);
	assert_false(p.have_l4);
	assert_int_equal(decode_copy(v->linktype, b, v->len, l3 + 40 + 65535, &p), TC_MALFORMED);
	assert_false(p.have_l4);
	/* one byte more is a super-packet */
	assert_int_equal(decode_copy(v->linktype, b, v->len, l3 + 40 + 65536, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	assert_int_equal(p.ip_len, 40 + 65536);
	assert_int_equal(p.tcp_hlen, v->l4_end - v->l3_end);
	assert_int_equal(p.sport, 443);
	/* a 70,000-byte super-packet captured in its first bytes: the wire
	 * length counts, the capture is clamped to what was kept */
	assert_int_equal(decode_copy(v->linktype, b, v->len, wire, &p), TC_OK);
	assert_int_equal(p.ip_len, wire - l3);
	assert_int_equal(p.payload_len, wire - v->l3_end - p.tcp_hlen);
	assert_int_equal(p.l3_caplen, v->len - l3);
	assert_true(p.have_l4);
	assert_int_equal(p.dport, 50000);
	/* every shorter capture of it is truncated, never malformed */
	for (size_t k = 0; k < v->l4_end; k++)
		assert_int_equal(decode_copy(v->linktype, b, k, wire, &p), TC_TRUNCATED);
	/* next header UDP: payload length 0 is taken literally, the UDP header
	 * does not fit in it */
	b[l3 + 6] = 17;
	assert_int_not_equal(decode_copy(v->linktype, b, v->len, wire, &p), TC_OK);
	assert_false(p.have_l4);
}

/* ---- PKTAP ---------------------------------------------------------------------- */

/* An Apple PKTAP header of hlen bytes (little-endian length, record type,
 * DLT, interface "en0", the rest zero) in front of inner[0..n), into b. */
static size_t pktap_wrap(uint8_t *b, uint32_t hlen, uint32_t rec, uint32_t dlt,
			 const uint8_t *inner, size_t n)
{
	memset(b, 0, hlen);
	for (int i = 0; i < 4; i++) {
		b[i] = (uint8_t)(hlen >> (8 * i));
		b[4 + i] = (uint8_t)(rec >> (8 * i));
		b[8 + i] = (uint8_t)(dlt >> (8 * i));
	}
	memcpy(b + 12, "en0", 3);
	memcpy(b + hlen, inner, n);
	return hlen + n;
}

/* LINKTYPE_PKTAP and Apple's 149: the frame behind the header decodes as
 * its own link type would, every prefix is truncated or (really that short
 * on the wire) malformed, and what is not a packet of a link type we read
 * is not IP, never an unsupported link type. */
static void test_pktap(void **state)
{
	static const char *const inner[] = { "eth_ipv4_tcp", "null_ipv4_tcp", "raw6_ext_tcp",
					     "ppp_mpls_ipv4_tcp", "arcnet_ipv6_udp", "ipoib_ipv4_udp",
					     "pflog_ipv4_tcp" };
	uint8_t b[400], e[8] = { 0 };
	struct pkt p, q;
	size_t n;

	(void)state;
	for (size_t i = 0; i < TC_ARRAY_SIZE(inner); i++) {
		const struct vec *v = find_vec(inner[i]);
		uint32_t hlen = i % 2 ? 156 : 108;   /* Apple's later headers are longer */

		n = pktap_wrap(b, hlen, 1, v->linktype, v->bytes, v->len);
		assert_int_equal(decode_copy(v->linktype, v->bytes, v->len, v->len, &q), TC_OK);
		assert_int_equal(decode_copy(LT_PKTAP, b, n, n, &p), TC_OK);
		assert_int_equal(p.ipver, q.ipver);
		assert_memory_equal(p.src, q.src, 16);
		assert_int_equal(p.sport, q.sport);
		assert_int_equal(p.seq, q.seq);
		assert_int_equal(p.ip_len, q.ip_len);
		assert_int_equal(decode_copy(LT_PKTAP_USER2, b, n, n, &p), TC_OK);
		assert_int_equal(p.dport, q.dport);
		for (size_t k = 0; k < hlen + v->link_end; k++) {
			assert_int_equal(decode_copy(LT_PKTAP, b, k, n, &p), TC_TRUNCATED);
			assert_true(has_err(&p, PE_LINK_TRUNCATED));
			assert_int_equal(decode_copy(LT_PKTAP, b, k, k, &p), TC_MALFORMED);
			assert_true(has_err(&p, PE_LINK_SHORT));
		}
		for (size_t k = hlen + v->link_end; k < hlen + v->l4_end; k++) {
			assert_int_equal(decode_copy(LT_PKTAP, b, k, n, &p), TC_TRUNCATED);
			assert_false(has_err(&p, PE_LINK_TRUNCATED));
			assert_int_equal(decode_copy(LT_PKTAP, b, k, k, &p), TC_MALFORMED);
		}
	}
	/* a header length below Apple's first layout */
	n = pktap_wrap(b, 108, 1, LT_EN10MB, eth_ipv4_tcp, sizeof eth_ipv4_tcp);
	b[0] = 104;
	assert_int_equal(decode_copy(LT_PKTAP, b, n, n, &p), TC_MALFORMED);
	assert_true(has_err(&p, PE_LINK_SHORT));
	/* a record that is not a packet */
	n = pktap_wrap(b, 108, 2, LT_EN10MB, eth_ipv4_tcp, sizeof eth_ipv4_tcp);
	assert_int_equal(decode_copy(LT_PKTAP, b, n, n, &p), TC_UNSUPPORTED);
	assert_true(has_err(&p, PE_NOT_IP));
	/* inside PKTAP a link type is read exactly when it is read on its own;
	 * one that is not (NFLOG and PKTAP itself included) is not IP */
	for (uint32_t lt = 0; lt < 512; lt++) {
		bool alone;

		if (lt == LT_NFLOG || lt == LT_PKTAP || lt == LT_PKTAP_USER2)
			continue;
		decode_copy(lt, e, sizeof e, sizeof e, &q);
		alone = !has_err(&q, PE_LINK_UNSUPPORTED);
		n = pktap_wrap(b, 108, 1, lt, e, sizeof e);
		decode_copy(LT_PKTAP, b, n, n, &p);
		assert_false(has_err(&p, PE_LINK_UNSUPPORTED));
		if (alone != !has_err(&p, PE_NOT_IP) && !has_err(&q, PE_NOT_IP))
			fail_msg("link type %u: %s alone, %s inside PKTAP", lt,
				 pkt_err_name(q.err[0]), pkt_err_name(p.err[0]));
	}
	for (uint32_t lt = 0; lt < 3; lt++) {
		static const uint32_t nested[] = { LT_NFLOG, LT_PKTAP, LT_PKTAP_USER2 };

		n = pktap_wrap(b, 108, 1, nested[lt], e, sizeof e);
		assert_int_equal(decode_copy(LT_PKTAP, b, n, n, &p), TC_UNSUPPORTED);
		assert_true(has_err(&p, PE_NOT_IP));
	}
}

/* ---- ARCNET, IPoIB, ipnet ----------------------------------------------------- */

/* What each of the three headers reads, and what it leaves as not IP
 * (targets/link.c's header comment). */
static void test_arcnet_ipoib_ipnet(void **state)
{
	const struct vec *a4 = find_vec("arcnet_ipv4_tcp"), *a6 = find_vec("arcnet_ipv6_udp");
	const struct vec *ib = find_vec("ipoib_ipv4_udp"), *in = find_vec("ipnet_ipv6_tcp");
	uint8_t b[128];
	struct pkt p;

	(void)state;
	/* ARCNET, RFC 1201 IPv4 (0xD4): split flag and sequence before the IP
	 * header, whatever the split flag says */
	b[0] = 0xbe, b[1] = 0x50, b[2] = 0xc3, b[3] = 0x00, b[4] = 0xd4, b[5] = 0x00;
	b[6] = 0x01, b[7] = 0x6a;
	memcpy(b + 8, a4->bytes + a4->link_end, a4->len - a4->link_end);
	assert_int_equal(decode_copy(LT_ARCNET_LINUX, b, a4->len + 3, a4->len + 3, &p), TC_OK);
	assert_int_equal(p.ipver, 4);
	assert_int_equal(p.sport, 1026);
	assert_int_equal(p.payload_len, 3);
	b[5] = 0x03;                            /* a split flag: read past too */
	assert_int_equal(decode_copy(LT_ARCNET_LINUX, b, a4->len + 3, a4->len + 3, &p), TC_OK);
	assert_int_equal(p.dport, 80);
	/* ... and the same header with the RFC 1051 id is read 3 bytes early */
	b[4] = 0xf0;
	assert_int_equal(decode_copy(LT_ARCNET_LINUX, b, a4->len + 3, a4->len + 3, &p),
			 TC_MALFORMED);
	assert_true(has_err(&p, PE_IP_BAD_VERSION));
	/* RFC 1201 cut inside the split header: truncated, or short on the wire */
	b[4] = 0xd4;
	assert_int_equal(decode_copy(LT_ARCNET_LINUX, b, 6, a4->len + 3, &p), TC_TRUNCATED);
	assert_true(has_err(&p, PE_LINK_TRUNCATED));
	assert_int_equal(decode_copy(LT_ARCNET_LINUX, b, 7, 7, &p), TC_MALFORMED);
	assert_true(has_err(&p, PE_LINK_SHORT));
	/* ARP under both RFCs, the diagnostic id and IPX are not IP; a 5-byte
	 * frame with one of them is not short */
	for (unsigned i = 0; i < 4; i++) {
		static const uint8_t ids[] = { 0xd5, 0xf1, 0x80, 0xfa };

		b[4] = ids[i];
		assert_int_equal(decode_copy(LT_ARCNET_LINUX, b, 5, 5, &p), TC_UNSUPPORTED);
		assert_int_equal(p.n_err, 1);
		assert_int_equal(p.err[0], PE_NOT_IP);
		assert_false(p.have_ip);
	}
	/* the IPv6 id over a packet whose version says 4: the IP layer's call */
	memcpy(b, a6->bytes, 8);
	memcpy(b + 8, a4->bytes + a4->link_end, a4->len - a4->link_end);
	assert_int_equal(decode_copy(LT_ARCNET_LINUX, b, a4->len + 3, a4->len + 3, &p),
			 TC_MALFORMED);
	assert_true(has_err(&p, PE_IP_BAD_VERSION));

	/* IPoIB: only the EtherType at offset 40 decides; a global route header
	 * in front (first bytes not zero) reads the same */
	memcpy(b, ib->bytes, ib->len);
	b[0] = 0x60, b[1] = 0x00, b[5] = 0x01;
	assert_int_equal(decode_copy(LT_IPOIB, b, ib->len, ib->len, &p), TC_OK);
	assert_int_equal(p.dport, 4791);
	b[40] = 0x08, b[41] = 0x06;             /* ARP */
	assert_int_equal(decode_copy(LT_IPOIB, b, ib->len, ib->len, &p), TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
	assert_int_equal(p.ethertype, 0x0806);
	b[40] = 0x86, b[41] = 0xdd;             /* IPv6 over a 32-byte IPv4 packet */
	assert_int_equal(decode_copy(LT_IPOIB, b, ib->len, ib->len, &p), TC_MALFORMED);
	assert_true(has_err(&p, PE_IP_SHORT));
	assert_false(p.have_ip);
	b[40] = 0x08, b[41] = 0x00, b[42] = 0xff, b[43] = 0xff;   /* reserved: not read */
	assert_int_equal(decode_copy(LT_IPOIB, b, ib->len, ib->len, &p), TC_OK);

	/* ipnet: the family decides (2 or Solaris's 26), not the version byte
	 * or the length; Linux's AF_INET6 (10) is not IP here */
	memcpy(b, in->bytes, in->len);
	b[0] = 2, b[7] = 0;
	assert_int_equal(decode_copy(LT_IPNET, b, in->len, in->len, &p), TC_OK);
	assert_int_equal(p.ipver, 6);
	assert_int_equal(p.sport, 22);
	for (unsigned f = 0; f < 256; f++) {
		b[1] = (uint8_t)f;
		if (f == 2 || f == 26) {
			assert_int_equal(decode_copy(LT_IPNET, b, in->len, in->len, &p),
					 f == 2 ? TC_MALFORMED : TC_OK);
			continue;
		}
		assert_int_equal(decode_copy(LT_IPNET, b, in->len, in->len, &p), TC_UNSUPPORTED);
		assert_int_equal(p.err[0], PE_NOT_IP);
	}
}

/* pf's log: the header's own length, rounded up to 4, says where the IP
 * header is; the family byte (the logging host's numbers) says which IP. */
static void test_pflog(void **state)
{
	const struct vec *v4 = find_vec("pflog_ipv4_tcp"), *v6 = find_vec("pflog_ipv6_udp");
	uint8_t b[256];
	struct pkt p;
	size_t ip4 = v4->len - v4->link_end;

	(void)state;
	/* every header length from the oldest (45) to OpenBSD's (100) and
	 * beyond: the IP header at the length rounded up to 4 */
	for (unsigned len = 45; len <= 120; len++) {
		size_t at = (len + 3u) & ~3u;

		memset(b, 0xee, sizeof b);
		b[0] = (uint8_t)len;
		b[1] = 2;
		memcpy(b + at, v4->bytes + v4->link_end, ip4);
		if (decode_copy(LT_PFLOG, b, at + ip4, at + ip4, &p) != TC_OK ||
		    p.sport != 51000 || p.l3_caplen != ip4)
			fail_msg("pflog header length %u: %s", len, tc_rc_name(p.status));
	}
	/* below 45 it cannot be a pfloghdr, whatever follows */
	for (unsigned len = 0; len < 45; len++) {
		memcpy(b, v4->bytes, v4->len);
		b[0] = (uint8_t)len;
		assert_int_equal(decode_copy(LT_PFLOG, b, v4->len, v4->len, &p), TC_MALFORMED);
		assert_int_equal(p.n_err, 1);
		assert_int_equal(p.err[0], PE_LINK_SHORT);
	}
	/* the families: 2 IPv4; 24, 28 and 30 IPv6 (the BSDs', Darwin's); Linux's
	 * 10 and anything else not IP */
	memcpy(b, v6->bytes, v6->len);
	for (unsigned af = 0; af < 256; af++) {
		enum tc_rc rc;

		b[1] = (uint8_t)af;
		rc = decode_copy(LT_PFLOG, b, v6->len, v6->len, &p);
		if (af == 24 || af == 28 || af == 30) {
			assert_int_equal(rc, TC_OK);
			assert_int_equal(p.dport, 123);
		} else if (af == 2) {
			assert_int_equal(rc, TC_MALFORMED);      /* an IPv6 packet read as IPv4 */
			assert_true(has_err(&p, PE_IP_BAD_VERSION));
		} else {
			assert_int_equal(rc, TC_UNSUPPORTED);
			assert_int_equal(p.err[0], PE_NOT_IP);
		}
	}
	/* a header length past the frame: truncated when the wire had it */
	memcpy(b, v4->bytes, v4->len);
	b[0] = 200;
	assert_int_equal(decode_copy(LT_PFLOG, b, v4->len, 300, &p), TC_TRUNCATED);
	assert_true(has_err(&p, PE_LINK_TRUNCATED));
	assert_int_equal(decode_copy(LT_PFLOG, b, v4->len, v4->len, &p), TC_MALFORMED);
	assert_true(has_err(&p, PE_LINK_SHORT));
}

/* ---- NFLOG ---------------------------------------------------------------------- */

/* Rewrite the TLV lengths and types of an NFLOG frame in the other byte order
 * (as a file from a host of the other endianness holds them). */
static void nflog_swap_tlvs(uint8_t *b, size_t n)
{
	size_t off = 4;

	while (off + 4 <= n) {
		size_t len = (size_t)b[off] | (size_t)b[off + 1] << 8;
		uint8_t t;

		if (len < 4 || len > 0xff)       /* big-endian as read: swap back */
			len = (size_t)b[off] << 8 | b[off + 1];
		t = b[off]; b[off] = b[off + 1]; b[off + 1] = t;
		t = b[off + 2]; b[off + 2] = b[off + 3]; b[off + 3] = t;
		off += (len + 3) & ~(size_t)3;
	}
}

static enum tc_rc nflog_decode(const uint8_t *b, size_t n, struct pkt *p)
{
	return decode_copy(LT_NFLOG, b, n, n, p);
}

/* LINKTYPE_NFLOG: either byte order, what ends the payload, what is not IP,
 * what is malformed, and a payload cut by the log rule's copy range. */
static void test_nflog(void **state)
{
	const struct vec *v4 = find_vec("nflog_ipv4_udp"), *v6 = find_vec("nflogbe_ipv6_tcp");
	/* header, packet header TLV, payload TLV (the IPv4 packet of v4) */
	static const uint8_t head[] = { 2, 0, 0, 5, 8, 0, 1, 0, 0x08, 0x00, 1, 0 };
	static const uint8_t uid_tlv[] = { 8, 0, 11, 0, 0xe8, 3, 0, 0 };   /* NFULA_UID 1000 */
	uint8_t b[160];
	char a[46];
	size_t n;
	struct pkt p;

	(void)state;
	assert_int_equal(nflog_decode(v4->bytes, v4->len, &p), TC_OK);
	assert_string_equal(addr_format(4, p.src, a), "198.51.100.7");
	assert_int_equal(p.sport, 33000);
	assert_int_equal(p.dport, 514);
	assert_int_equal(nflog_decode(v6->bytes, v6->len, &p), TC_OK);
	assert_string_equal(addr_format(6, p.dst, a), "2001:db8::9");
	assert_int_equal(p.seq, 100);
	assert_int_equal(p.ack, 200);
	assert_int_equal(p.flags, TH_PSH | TH_ACK);

	/* the same frames with their TLVs in the other byte order */
	memcpy(b, v4->bytes, v4->len);
	nflog_swap_tlvs(b, v4->len);
	assert_int_not_equal(memcmp(b, v4->bytes, v4->len), 0);
	assert_int_equal(nflog_decode(b, v4->len, &p), TC_OK);
	assert_int_equal(p.sport, 33000);
	assert_int_equal(p.ip_len, 32);
	memcpy(b, v6->bytes, v6->len);
	nflog_swap_tlvs(b, v6->len);
	assert_int_equal(nflog_decode(b, v6->len, &p), TC_OK);
	assert_int_equal(p.dport, 50001);
	assert_int_equal(p.ip_len, 64);

	/* TLVs after the payload (a uid) are not part of the IP packet */
	n = v4->len;
	memcpy(b, v4->bytes, n);
	memcpy(b + n, uid_tlv, sizeof uid_tlv);
	assert_int_equal(nflog_decode(b, n + 8, &p), TC_OK);
	assert_int_equal(p.ip_len, 32);
	assert_int_equal(p.l3_caplen, 32);
	assert_int_equal(p.l4_caplen, 12);

	/* not IP: another family or version, no payload TLV (also when the last
	 * TLV lacks its padding) */
	memcpy(b, v4->bytes, v4->len);
	b[0] = 7;                                  /* NFPROTO_BRIDGE */
	assert_int_equal(nflog_decode(b, v4->len, &p), TC_UNSUPPORTED);
	assert_true(has_err(&p, PE_NOT_IP));
	b[0] = 2;
	b[1] = 1;
	assert_int_equal(nflog_decode(b, v4->len, &p), TC_UNSUPPORTED);
	assert_true(has_err(&p, PE_NOT_IP));
	assert_int_equal(nflog_decode(v4->bytes, 4, &p), TC_UNSUPPORTED);
	assert_true(has_err(&p, PE_NOT_IP));
	assert_int_equal(nflog_decode(v4->bytes, 19, &p), TC_UNSUPPORTED);   /* prefix unpadded */
	assert_true(has_err(&p, PE_NOT_IP));
	assert_false(p.have_ip);

	/* malformed: a TLV shorter than its header, or longer than the frame */
	memcpy(b, v4->bytes, v4->len);
	b[12] = 2;
	assert_int_equal(nflog_decode(b, v4->len, &p), TC_MALFORMED);
	assert_true(has_err(&p, PE_LINK_SHORT));
	assert_false(p.have_ip);
	b[12] = 0x40;
	assert_int_equal(nflog_decode(b, v4->len, &p), TC_MALFORMED);
	assert_true(has_err(&p, PE_LINK_SHORT));
	memcpy(b, v4->bytes, v4->len);
	b[20] = 0x25;                              /* payload: one byte more than the frame */
	assert_int_equal(nflog_decode(b, v4->len, &p), TC_MALFORMED);
	assert_true(has_err(&p, PE_LINK_SHORT));
	assert_false(p.have_ip);

	/* the rule copied 24 of the 32 bytes: the UDP header is cut, and the IP
	 * length is not taken for a lie (no record says what was left out) */
	memcpy(b, head, sizeof head);
	memcpy(b + sizeof head, (const uint8_t[]){ 28, 0, 9, 0 }, 4);
	memcpy(b + sizeof head + 4, v4->bytes + 24, 24);
	n = sizeof head + 4 + 24;
	assert_int_equal(nflog_decode(b, n, &p), TC_TRUNCATED);
	assert_true(has_err(&p, PE_UDP_TRUNCATED));
	assert_false(has_err(&p, PE_IP_LEN_EXCEEDS_FRAME));
	assert_true(p.have_ip);
	assert_int_equal(p.ip_len, 32);
	assert_int_equal(p.l3_caplen, 24);
	/* ... also when a TLV follows: its bytes are not the packet's */
	memcpy(b + n, uid_tlv, sizeof uid_tlv);
	assert_int_equal(nflog_decode(b, n + 8, &p), TC_TRUNCATED);
	assert_true(has_err(&p, PE_UDP_TRUNCATED));
	assert_int_equal(p.l3_caplen, 24);
	/* an IPv4 total length of 0 (offload) stands for the payload's length */
	memcpy(b + sizeof head + 4, v4->bytes + 24, 32);
	b[sizeof head] = 36;
	b[sizeof head + 4 + 2] = b[sizeof head + 4 + 3] = 0;
	assert_int_equal(nflog_decode(b, sizeof head + 36, &p), TC_OK);
	assert_int_equal(p.ip_len, 32);
	assert_int_equal(p.sport, 33000);
}

/* Ethernet with n 802.1Q tags in front of the IPv4/UDP of vlan_ipv4_udp. */
static size_t build_vlans(uint8_t *b, size_t cap, unsigned n)
{
	const struct vec *v = find_vec("vlan_ipv4_udp");
	size_t ip = v->len - 18, o = 12;

	assert_true(12 + 4 * (size_t)n + 2 + ip <= cap);
	memcpy(b, v->bytes, 12);
	for (unsigned i = 0; i < n; i++, o += 4) {
		b[o] = i % 2 ? 0x81 : 0x88;
		b[o + 1] = i % 2 ? 0x00 : 0xA8;
		b[o + 2] = 0;
		b[o + 3] = (uint8_t)(i + 1);
	}
	b[o] = 0x08;
	b[o + 1] = 0x00;
	memcpy(b + o + 2, v->bytes + 18, ip);
	return o + 2 + ip;
}

static void test_vlan_depth(void **state)
{
	uint8_t b[256];
	struct pkt p;
	size_t len;

	(void)state;
	len = build_vlans(b, sizeof b, PKT_MAX_VLANS);
	assert_int_equal(decode_copy(LT_EN10MB, b, len, len, &p), TC_OK);
	assert_int_equal(p.n_vlan, PKT_MAX_VLANS);
	assert_int_equal(p.vlan[PKT_MAX_VLANS - 1], PKT_MAX_VLANS);
	len = build_vlans(b, sizeof b, PKT_MAX_VLANS + 1);
	assert_int_equal(decode_copy(LT_EN10MB, b, len, len, &p), TC_MALFORMED);
	assert_int_equal(p.err[0], PE_VLAN_TOO_DEEP);
	assert_false(p.have_ip);
	/* the VLAN ID is the TCI's low 12 bits (IEEE 802.1Q 9.6): priority
	 * (PCP) and drop eligible (DEI) bits above it are not part of it */
	{
		const struct vec *v = find_vec("vlan_ipv4_udp");
		const struct patch pcp[] = { { 14, 0xB0 } };   /* PCP 5, DEI 1, VID 100 */

		assert_int_equal(decode_patched(v, pcp, 1, 0, &p), TC_OK);
		assert_int_equal(p.n_vlan, 1);
		assert_int_equal(p.vlan[0], 100);
	}
	/* 0x9100, the pre-standard QinQ EtherType */
	len = build_vlans(b, sizeof b, 1);
	b[12] = 0x91;
	b[13] = 0x00;
	assert_int_equal(decode_copy(LT_EN10MB, b, len, len, &p), TC_OK);
	assert_int_equal(p.n_vlan, 1);
}

static void test_not_ip(void **state)
{
	const struct vec *e = find_vec("eth_ipv4_tcp"), *s = find_vec("sll_ipv4_tcp");
	struct pkt p;

	(void)state;
	/* ARP */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 12, 0x08 }, { 13, 0x06 } }, 2, 0, &p),
			 TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
	assert_int_equal(p.ethertype, 0x0806);
	/* an 802.3 length field: LLC follows */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 12, 0x00 }, { 13, 0x3c } }, 2, 0, &p),
			 TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
	/* cooked capture of an 802.2 frame (protocol 0x0004) */
	assert_int_equal(decode_patched(s, (struct patch[]){ { 14, 0x00 }, { 15, 0x04 } }, 2, 0, &p),
			 TC_UNSUPPORTED);
	/* a link type we do not decode */
	assert_int_equal(decode_copy(147, e->bytes, e->len, e->len, &p), TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_LINK_UNSUPPORTED);
	assert_false(p.have_ip);
	/* an empty record without a buffer */
	assert_int_equal(decode_packet(LT_EN10MB, NULL, 0, 0, &p), TC_MALFORMED);
	assert_int_equal(p.err[0], PE_LINK_SHORT);
	assert_int_equal(decode_packet(LT_RAW, NULL, 0, 0, &p), TC_MALFORMED);
	assert_int_equal(p.err[0], PE_IP_SHORT);
}

/* MPLS, PPP, PPPoE and Cisco HDLC: what decides the payload, and what is
 * not IP (targets/link.c's header comment). */
static void test_mpls_ppp_pppoe(void **state)
{
	const struct vec *m = find_vec("vlan_mpls_ipv6_udp"), *pm = find_vec("ppp_mpls_ipv4_tcp");
	const struct vec *po = find_vec("pppoe_ipv4_tcp"), *pc = find_vec("ppp_acfc_pfc_ipv4_udp");
	const struct vec *ch = find_vec("chdlc_ipv6_tcp");
	struct pkt p;

	(void)state;
	/* the bottom entry's label, not the nibble, decides: label 2 (IPv6
	 * explicit null) over an IPv4 header is a bad version */
	assert_int_equal(decode_patched(pm, (struct patch[]){ { 5, 0x00 }, { 6, 0x21 } }, 2, 0, &p),
			 TC_MALFORMED);
	assert_int_equal(p.err[0], PE_IP_BAD_VERSION);
	assert_int_equal(p.ethertype, 0x86dd);
	/* any other bottom label: the nibble guesses; 0 (a pseudowire control
	 * word) is not IP */
	assert_int_equal(decode_patched(pm, (struct patch[]){ { 5, 0x10 }, { 8, 0x05 } }, 2, 0, &p),
			 TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
	assert_int_equal(p.ethertype, 0x8847);
	assert_int_equal(decode_patched(pm, (struct patch[]){ { 5, 0x10 } }, 1, 0, &p), TC_OK);
	assert_int_equal(p.ipver, 4);
	/* a stack whose bottom bit never comes: the frame (cut to 30 bytes on
	 * the wire) runs out inside it */
	assert_int_equal(decode_patched(m, (struct patch[]){ { 24, 0x80 } }, 1, 30, &p),
			 TC_MALFORMED);
	assert_int_equal(p.err[0], PE_LINK_SHORT);
	/* the upper label of a two-entry stack marked bottom: its payload
	 * starts at the second entry, whose nibble 0 is not IP */
	assert_int_equal(decode_patched(m, (struct patch[]){ { 20, 0x41 } }, 1, 0, &p),
			 TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
	/* multicast MPLS */
	assert_int_equal(decode_patched(m, (struct patch[]){ { 17, 0x48 } }, 1, 0, &p), TC_OK);
	assert_int_equal(p.n_vlan, 1);
	assert_int_equal(p.vlan[0], 7);
	/* PPPoE: version/type other than 1/1, a code other than session data,
	 * a PPP protocol that is not IP (LCP, 0xC021) */
	assert_int_equal(decode_patched(po, (struct patch[]){ { 14, 0x21 } }, 1, 0, &p),
			 TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
	assert_int_equal(p.ethertype, 0x8864);
	assert_int_equal(decode_patched(po, (struct patch[]){ { 15, 0x09 } }, 1, 0, &p),
			 TC_UNSUPPORTED);
	assert_int_equal(decode_patched(po, (struct patch[]){ { 20, 0xc0 }, { 21, 0x21 } }, 2, 0, &p),
			 TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
	/* an uncompressed protocol field 0x0021 reads like the compressed one:
	 * the same frame with 00 in front of 21 (one byte longer) */
	{
		uint8_t buf[80];

		memcpy(buf, po->bytes, 20);
		buf[20] = 0x00;
		memcpy(buf + 21, po->bytes + 20, po->len - 20);
		assert_int_equal(decode_copy(LT_EN10MB, buf, po->len + 1, po->len + 1, &p), TC_OK);
		assert_int_equal(p.payload_len, 2);
	}
	/* PPP: 0xFF must be followed by the control byte 0x03 */
	assert_int_equal(decode_patched(pm, (struct patch[]){ { 1, 0x5f } }, 1, 0, &p),
			 TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
	/* the same link types carry Cisco HDLC when the first byte says so */
	assert_int_equal(decode_copy(LT_PPP, ch->bytes, ch->len, ch->len, &p), TC_OK);
	assert_int_equal(p.ipver, 6);
	assert_int_equal(decode_copy(LT_PPP_HDLC, ch->bytes, ch->len, ch->len, &p), TC_OK);
	assert_int_equal(decode_patched(ch, (struct patch[]){ { 0, 0x8f } }, 1, 0, &p), TC_OK);
	/* with PFC the protocol is one odd byte: 0x57 is IPv6, and the 31-byte
	 * IPv4 datagram behind it is too short for an IPv6 header */
	assert_int_equal(decode_patched(pc, (struct patch[]){ { 0, 0x57 } }, 1, 0, &p),
			 TC_MALFORMED);
	assert_int_equal(p.err[0], PE_IP_SHORT);
	/* Cisco HDLC carrying ARP */
	assert_int_equal(decode_patched(ch, (struct patch[]){ { 2, 0x08 }, { 3, 0x06 } }, 2, 0, &p),
			 TC_UNSUPPORTED);
	assert_int_equal(p.err[0], PE_NOT_IP);
}

/* ---- options ------------------------------------------------------------------- */

static void test_tcp_options(void **state)
{
	const struct vec *e = find_vec("eth_ipv4_tcp");
	struct pkt p;

	(void)state;
	/* MSS length 1: the walk stops, the header stays usable */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 55, 1 } }, 1, 0, &p), TC_OK);
	assert_int_equal(p.status, TC_OK);
	assert_true(p.have_l4);
	assert_true(has_err(&p, PE_TCP_BAD_OPTIONS));
	assert_false(p.opt.has_mss);
	assert_int_equal(p.dport, 80);
	/* MSS length 40: past the option space */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 55, 40 } }, 1, 0, &p), TC_OK);
	assert_true(has_err(&p, PE_TCP_BAD_OPTIONS));
	/* SAckOK with length 3 (a known kind, wrong length): bad, skipped, the
	 * options after it still read */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 59, 3 }, { 60, 1 } }, 2, 0, &p), TC_OK);
	assert_true(has_err(&p, PE_TCP_BAD_OPTIONS));
	assert_true(p.opt.has_mss);
	assert_false(p.opt.sack_ok);
	/* an unknown kind (0x99, length 2) is skipped without complaint */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 58, 0x99 } }, 1, 0, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	assert_false(p.opt.sack_ok);
	assert_true(p.opt.has_ts);
	assert_true(p.opt.has_wscale);
	/* EOL ends the list: nothing after it is read */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 58, 0 } }, 1, 0, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	assert_true(p.opt.has_mss);
	assert_false(p.opt.has_ts);
	/* the last option byte is a kind without its length */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 71, 1 }, { 72, 1 }, { 73, 8 } }, 3, 0, &p),
			 TC_OK);
	assert_true(has_err(&p, PE_TCP_BAD_OPTIONS));
}

static void test_ip_options(void **state)
{
	const struct vec *r = find_vec("raw_ipv4opt_udp");
	struct pkt p;

	(void)state;
	/* record-route length 9 runs past the 8 option bytes: soft */
	assert_int_equal(decode_patched(r, (struct patch[]){ { 21, 9 } }, 1, 0, &p), TC_OK);
	assert_true(has_err(&p, PE_IP_BAD_OPTIONS));
	assert_true(p.have_l4);
	assert_int_equal(p.ip_hlen, 28);
	assert_int_equal(decode_patched(r, (struct patch[]){ { 21, 1 } }, 1, 0, &p), TC_OK);
	assert_true(has_err(&p, PE_IP_BAD_OPTIONS));
}

/* ---- checksums ----------------------------------------------------------------- */

static unsigned checksum_errors(const uint8_t *b, size_t len, size_t caplen, uint32_t lt,
				struct pkt *p)
{
	uint8_t *buf = malloc(caplen);

	assert_non_null(buf);
	memcpy(buf, b, caplen);
	decode_packet(lt, buf, caplen, len, p);
	decode_verify_checksums(p);
	free(buf);
	p->l3 = p->l4hdr = NULL;
	return p->n_err;
}

static void test_checksums(void **state)
{
	uint8_t b[256];
	struct pkt p;

	(void)state;
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];

		if (checksum_errors(v->bytes, v->len, v->len, v->linktype, &p) != 0)
			fail_msg("%s: correct checksums judged wrong (%s)", v->name,
				 pkt_err_name(p.err[0]));
	}
	/* one payload bit: TCP over IPv6 */
	const struct vec *q = find_vec("qinq_ipv6_tcp");
	memcpy(b, q->bytes, q->len);
	b[q->len - 1] ^= 1;
	assert_int_equal(checksum_errors(b, q->len, q->len, q->linktype, &p), 1);
	assert_int_equal(p.err[0], PE_TCP_BAD_CHECKSUM);
	/* ... not judged when the segment was not captured whole */
	assert_int_equal(checksum_errors(b, q->len, q->len - 1, q->linktype, &p), 0);
	/* TTL: only the IPv4 header checksum covers it */
	const struct vec *e = find_vec("eth_ipv4_tcp");
	memcpy(b, e->bytes, e->len);
	b[22] = 63;
	assert_int_equal(checksum_errors(b, e->len, e->len, e->linktype, &p), 1);
	assert_int_equal(p.err[0], PE_IP_BAD_CHECKSUM);
	/* a port: TCP over IPv4 */
	memcpy(b, e->bytes, e->len);
	b[35] ^= 0x10;
	assert_int_equal(checksum_errors(b, e->len, e->len, e->linktype, &p), 1);
	assert_int_equal(p.err[0], PE_TCP_BAD_CHECKSUM);
	/* UDP over IPv4: wrong, then 0 (none computed) */
	const struct vec *u = find_vec("vlan_ipv4_udp");
	memcpy(b, u->bytes, u->len);
	b[u->len - 1] ^= 0x20;
	assert_int_equal(checksum_errors(b, u->len, u->len, u->linktype, &p), 1);
	assert_int_equal(p.err[0], PE_UDP_BAD_CHECKSUM);
	b[44] = b[45] = 0;
	assert_int_equal(checksum_errors(b, u->len, u->len, u->linktype, &p), 0);
	/* UDP over IPv6: 0 is not allowed; a wrong one is wrong */
	const struct vec *s = find_vec("sll2_ipv6_udp");
	memcpy(b, s->bytes, s->len);
	b[66] = b[67] = 0;
	assert_int_equal(checksum_errors(b, s->len, s->len, s->linktype, &p), 1);
	assert_int_equal(p.err[0], PE_UDP_BAD_CHECKSUM);
	memcpy(b, s->bytes, s->len);
	b[30] ^= 1;                      /* a source address bit: the pseudo header */
	assert_int_equal(checksum_errors(b, s->len, s->len, s->linktype, &p), 1);
	assert_int_equal(p.err[0], PE_UDP_BAD_CHECKSUM);
	/* IPv4 header with options, UDP after it */
	const struct vec *r = find_vec("raw_ipv4opt_udp");
	memcpy(b, r->bytes, r->len);
	b[24] ^= 1;                      /* a record-route address byte */
	assert_int_equal(checksum_errors(b, r->len, r->len, r->linktype, &p), 1);
	assert_int_equal(p.err[0], PE_IP_BAD_CHECKSUM);
}

/* ---- packets built here: fragments, jumbograms, routes, AH --------------------- */

/* RFC 1071: the one's complement sum of n bytes (a trailing odd byte padded
 * with zero) added to sum, not yet folded (but kept below 2^32 on long
 * input). The test's own, so the decoder's
 * checksum code is checked against an independent one. */
static uint32_t sum16(uint32_t sum, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		if (sum >> 31)           /* end-around carry early: no overflow */
			sum = (sum & 0xFFFFu) + (sum >> 16);
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	}
	if (n % 2)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

static uint16_t csum_final(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFFu) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* The transport checksum of seg (len bytes, checksum field at csum_off
 * zero) over a pseudo header naming src and dst (alen 4 or 16 bytes), with
 * the upper-layer length as a 32-bit number (RFC 8200 8.1; for IPv4 only
 * the low 16 bits are non-zero). Written into seg. */
static void l4_csum(uint8_t *seg, size_t len, size_t csum_off, const uint8_t *src,
		    const uint8_t *dst, size_t alen, uint8_t proto)
{
	uint32_t sum = 0;

	put16(seg + csum_off, 0);
	sum = sum16(sum, src, alen);
	sum = sum16(sum, dst, alen);
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xFFFF) + proto;
	sum = sum16(sum, seg, len);
	put16(seg + csum_off, csum_final(sum));
}

static const uint8_t A4[4] = { 192, 0, 2, 1 }, B4[4] = { 198, 51, 100, 2 },
		     C4[4] = { 203, 0, 113, 9 };

/* A raw IPv4 packet from A4 to B4 in b: a header with the option bytes
 * opts (olen, a multiple of 4), protocol proto, fragment word frag, then
 * body (blen bytes). Total length and header checksum filled in. */
static size_t build_ip4(uint8_t *b, const uint8_t *opts, size_t olen, uint8_t proto,
			uint16_t frag, const uint8_t *body, size_t blen)
{
	size_t hlen = 20 + olen;

	assert_true(olen % 4 == 0 && olen <= 40);
	memset(b, 0, hlen);
	b[0] = (uint8_t)(0x40 | hlen / 4);
	put16(b + 2, (uint16_t)(hlen + blen));
	put16(b + 4, 0x4242);
	put16(b + 6, frag);
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, A4, 4);
	memcpy(b + 16, B4, 4);
	if (olen)
		memcpy(b + 20, opts, olen);
	put16(b + 10, csum_final(sum16(0, b, hlen)));
	memcpy(b + hlen, body, blen);
	return hlen + blen;
}

/* A 20-byte TCP SYN 40000 > 80 (data offset doff words) in t. */
static void build_tcp(uint8_t *t, uint8_t doff)
{
	memset(t, 0, 20);
	put16(t, 40000);
	put16(t + 2, 80);
	t[7] = 5;                        /* seq 5 */
	t[12] = (uint8_t)(doff << 4);
	t[13] = 0x02;                    /* SYN */
	put16(t + 14, 8192);
}

/* NOP NOP timestamps, then NOP NOP SACK: what Linux puts on a duplicate
 * ACK (RFC 7323 appendix A, RFC 2018). The options after the timestamps
 * are read as well. */
static void test_tcp_options_after_timestamps(void **state)
{
	static const uint8_t opts[24] = {
		1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9,
		1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0,
	};
	uint8_t seg[44], b[64];
	struct pkt p;
	size_t len;

	(void)state;
	build_tcp(seg, 11);
	memcpy(seg + 20, opts, sizeof opts);
	len = build_ip4(b, NULL, 0, 6, 0, seg, sizeof seg);
	assert_int_equal(decode_copy(LT_RAW, b, len, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	assert_int_equal(p.tcp_hlen, 44);
	assert_true(p.opt.has_ts);
	assert_int_equal(p.opt.ts_val, 7);
	assert_int_equal(p.opt.ts_ecr, 9);
	assert_int_equal(p.opt.n_sack, 1);
	assert_int_equal(p.opt.sack[0][0], 0x1000);
	assert_int_equal(p.opt.sack[0][1], 0x2000);
}

/* Decode b (len bytes, all captured) from a heap copy and verify its
 * checksums: p->err then holds every reason. */
static enum tc_rc decode_verified(uint32_t lt, const uint8_t *b, size_t len, struct pkt *p)
{
	uint8_t *buf = malloc(len);
	enum tc_rc rc;

	assert_non_null(buf);
	memcpy(buf, b, len);
	rc = decode_packet(lt, buf, len, len, p);
	decode_verify_checksums(p);
	free(buf);
	p->l3 = p->l4hdr = p->final_dst = NULL;
	return rc;
}

/* An IPv4 first fragment may end inside the TCP header (RFC 791 allows 8
 * data octets): no transport layer and the soft ip.fragment, never
 * tcp.bad-offset. An IPv6 first fragment must hold the whole header chain
 * (RFC 8200 4.5): ip6.bad-ext. */
static void test_first_fragment_short_tcp(void **state)
{
	const struct vec *e = find_vec("eth_ipv4_tcp"), *v6 = find_vec("raw6_ext_tcp");
	struct pkt p;

	(void)state;
	/* MF, total length 44: 24 bytes of a 40-byte TCP header */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 16, 0 }, { 17, 44 }, { 20, 0x20 } },
					3, 0, &p), TC_OK);
	assert_true(p.have_ip);
	assert_true(p.is_fragment);
	assert_false(p.later_fragment);
	assert_false(p.have_l4);
	assert_null(p.l4hdr);
	assert_int_equal(p.l4, L4_TCP);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_IP_FRAGMENT);
	/* 8 bytes of it (below even the fixed 20) */
	assert_int_equal(decode_patched(e, (struct patch[]){ { 16, 0 }, { 17, 28 }, { 20, 0x20 } },
					3, 0, &p), TC_OK);
	assert_false(p.have_l4);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_IP_FRAGMENT);
	/* the same lengths without MF: the header really is too long */
	expect_malformed(e, (struct patch[]){ { 16, 0 }, { 17, 44 } }, 2, PE_TCP_BAD_OFFSET, true);
	expect_malformed(e, (struct patch[]){ { 16, 0 }, { 17, 28 } }, 2, PE_TCP_BAD_OFFSET, true);
	/* a data offset below 5 is wrong in a fragment too */
	expect_malformed(e, (struct patch[]){ { 16, 0 }, { 17, 44 }, { 20, 0x20 }, { 46, 0x40 } }, 4,
			 PE_TCP_BAD_OFFSET, true);
	/* IPv6, M set, payload length 48: 16 bytes of TCP after the 32 of
	 * extension headers */
	expect_malformed(v6, (struct patch[]){ { 5, 48 }, { 67, 0x01 } }, 2, PE_IP6_BAD_EXT, true);
	assert_int_equal(decode_patched(v6, (struct patch[]){ { 5, 48 }, { 67, 0x01 } }, 2, 0, &p),
			 TC_MALFORMED);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.l4, L4_TCP);
	/* and a hop-by-hop header out of place as well: ip6.bad-ext once */
	assert_int_equal(decode_patched(v6, (struct patch[]){ { 5, 48 }, { 67, 0x01 }, { 40, 0 } },
					3, 0, &p), TC_MALFORMED);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_IP6_BAD_EXT);
	/* without M the same IPv6 packet is plainly too short for its TCP */
	expect_malformed(v6, (struct patch[]){ { 5, 48 } }, 1, PE_TCP_BAD_OFFSET, true);
}

/* A first fragment: the transport checksum covers the reassembled datagram
 * (RFC 9293 3.1, RFC 768), so it is not judged on the fragment's bytes; the
 * whole datagram with the same segment checks, and a corrupted one fails. */
static void test_first_fragment_checksum_not_judged(void **state)
{
	uint8_t seg[36], b[64];
	struct pkt p;
	size_t len;

	(void)state;
	build_tcp(seg, 5);
	memset(seg + 20, 0x5a, 16);
	l4_csum(seg, sizeof seg, 16, A4, B4, 4, 6);
	/* MF: the TCP header and 8 of the 16 data bytes */
	len = build_ip4(b, NULL, 0, 6, 0x2000, seg, 28);
	assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
	assert_true(p.is_fragment);
	assert_true(p.have_l4);
	for (unsigned i = 0; i < p.n_err; i++)
		assert_int_not_equal(p.err[i], PE_TCP_BAD_CHECKSUM);
	len = build_ip4(b, NULL, 0, 6, 0, seg, sizeof seg);
	assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	b[len - 1] ^= 1;
	assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_TCP_BAD_CHECKSUM);
}

/* An IPv6 jumbogram (RFC 2675): 40 + hop-by-hop 8 + UDP 8 + pay bytes,
 * payload length 0, UDP length ulen, checksum right. Returns the length. */
static size_t build_jumbo_udp(uint8_t *b, size_t pay, uint16_t ulen)
{
	size_t len = 40 + 8 + 8 + pay;
	uint32_t jl = (uint32_t)(8 + 8 + pay);

	memset(b, 0, len);
	b[0] = 0x60;
	b[6] = 0;                        /* hop-by-hop */
	b[7] = 64;
	b[8] = 0x20; b[9] = 0x01; b[10] = 0x0d; b[11] = 0xb8; b[23] = 1;
	b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = 0xb8; b[39] = 2;
	b[40] = 17;                      /* next: UDP; length 0 = 8 bytes */
	b[42] = 0xC2;                    /* Jumbo Payload, 4 bytes */
	b[43] = 4;
	b[44] = (uint8_t)(jl >> 24); b[45] = (uint8_t)(jl >> 16);
	b[46] = (uint8_t)(jl >> 8); b[47] = (uint8_t)jl;
	put16(b + 48, 5000);
	put16(b + 50, 53);
	put16(b + 52, ulen);
	for (size_t i = 0; i < pay; i++)
		b[56 + i] = (uint8_t)(i * 7);
	l4_csum(b + 48, 8 + pay, 6, b + 8, b + 24, 16, 17);
	return len;
}

static void test_udp_jumbogram(void **state)
{
	enum { pay = 70000 };
	static uint8_t b[40 + 16 + pay];
	const struct vec *u = find_vec("vlan_ipv4_udp"), *s = find_vec("sll2_ipv6_udp");
	struct pkt p;
	size_t len;

	(void)state;
	/* UDP length 0: the datagram is the IP payload after the extension
	 * headers (RFC 2675 4), and its checksum counts that length */
	len = build_jumbo_udp(b, pay, 0);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_true(p.have_l4);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.udp_len, 0);
	assert_int_equal(p.payload_len, pay);
	assert_int_equal(p.n_err, 0);
	b[len - 1] ^= 1;
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_UDP_BAD_CHECKSUM);
	/* a UDP length of 0 anywhere else is still wrong: over IPv4, and over
	 * IPv6 without a jumbo payload */
	expect_malformed(u, (struct patch[]){ { 42, 0 }, { 43, 0 } }, 2, PE_UDP_BAD_LENGTH, true);
	expect_malformed(s, (struct patch[]){ { 64, 0 }, { 65, 0 } }, 2, PE_UDP_BAD_LENGTH, true);
	/* a jumbogram whose UDP datagram is 65535 octets, which the length
	 * field can say: 0 there is wrong (RFC 2675 4: only "if the length of
	 * the UDP header plus UDP data is greater than 65,535") */
	len = build_jumbo_udp(b, 65535 - 8, 0);
	assert_int_equal(decode_copy(LT_IPV6, b, len, len, &p), TC_MALFORMED);
	assert_true(has_err(&p, PE_UDP_BAD_LENGTH));
	assert_false(p.have_l4);
	len = build_jumbo_udp(b, 65535 - 8, 65535);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	assert_int_equal(p.payload_len, 65535 - 8);
}

/* ---- checksum arithmetic edges: 0xFFFF for a computed 0, carries that carry --- */

/* An IPv6 UDP datagram 5000 > 53 from 2001:db8::1 to 2001:db8::2 with the
 * plen payload bytes pay, checksum right (as l4_csum computes it, so a
 * computed 0 stays 0 here). Returns the packet's length. */
static size_t build_udp6(uint8_t *b, const uint8_t *pay, size_t plen)
{
	size_t len = 40 + 8 + plen;

	memset(b, 0, 48);
	b[0] = 0x60;
	put16(b + 4, (uint16_t)(8 + plen));
	b[6] = 17;
	b[7] = 64;
	b[8] = 0x20; b[9] = 0x01; b[10] = 0x0d; b[11] = 0xb8; b[23] = 1;
	b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = 0xb8; b[39] = 2;
	put16(b + 40, 5000);
	put16(b + 42, 53);
	put16(b + 44, (uint16_t)(8 + plen));
	memcpy(b + 48, pay, plen);
	l4_csum(b + 40, 8 + plen, 6, b + 8, b + 24, 16, 17);
	return len;
}

/* RFC 768: a computed UDP checksum of 0 is sent as all ones (0xFFFF, the
 * other one's complement zero); only a field of 0 means "none computed".
 * The payload word 0xc0c0 ^ c0 brings the computed checksum to 0. */
static void test_udp_checksum_all_ones(void **state)
{
	uint8_t b[128], pay[8] = { 1, 2, 3, 4, 0, 0, 0, 0 }, seg[16];
	struct pkt p;
	size_t len;
	uint16_t c0;

	(void)state;
	/* over IPv6: a checksum of 0xFFFF is a checksum, and here the right one */
	(void)build_udp6(b, pay, sizeof pay);  /* for the checksum it gives */
	c0 = (uint16_t)(b[46] << 8 | b[47]);
	assert_int_not_equal(c0, 0);
	put16(pay + 6, c0);              /* adds c0 to the sum: computed checksum 0 */
	len = build_udp6(b, pay, sizeof pay);
	assert_int_equal(b[46] << 8 | b[47], 0);
	put16(b + 46, 0xFFFF);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.l4_csum, 0xFFFF);
	assert_int_equal(p.n_err, 0);
	/* over IPv4 the same: right, and judged (not taken for "none") when
	 * the datagram under it is wrong */
	memset(seg, 0, sizeof seg);
	put16(seg, 5000);
	put16(seg + 2, 53);
	put16(seg + 4, sizeof seg);
	memcpy(seg + 8, "abcdef", 6);
	l4_csum(seg, sizeof seg, 6, A4, B4, 4, 17);
	c0 = (uint16_t)(seg[6] << 8 | seg[7]);
	assert_int_not_equal(c0, 0);
	put16(seg + 14, c0);
	l4_csum(seg, sizeof seg, 6, A4, B4, 4, 17);
	assert_int_equal(seg[6] << 8 | seg[7], 0);
	put16(seg + 6, 0xFFFF);
	len = build_ip4(b, NULL, 0, 17, 0, seg, sizeof seg);
	assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	b[len - 3] ^= 0x40;
	assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_UDP_BAD_CHECKSUM);
}

/* The big-endian 32-bit words of b (n a multiple of 4) added to sum: RFC
 * 1071 2(C), summing in longer words and folding the carries back later. */
static uint64_t sum32(uint64_t sum, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i += 4)
		sum += (uint64_t)b[i] << 24 | (uint64_t)b[i + 1] << 16 | (uint64_t)b[i + 2] << 8 | b[i + 3];
	return sum;
}

/* The RFC 8200 8.1 pseudo header of build_udp6/build_jumbo_udp's datagram
 * (ulen bytes) as 32-bit words (addresses, the 32-bit length, zero and
 * next header 17) plus the datagram's words with its checksum field 0. */
static uint64_t words_udp6(const uint8_t *b, size_t ulen)
{
	uint8_t seg[8];

	memcpy(seg, b + 40 + (b[6] == 0 ? 8 : 0), 8);
	put16(seg + 6, 0);
	return sum32(sum32(0, b + 8, 32) + ulen + 17, seg, 8);
}

/* A correct checksum whose 32-bit word sum (RFC 1071 2(C)) lands exactly
 * on 0xFFFFFFFF, and one whose high half plus low half again exceeds 32
 * bits (a 64-bit sum, a jumbogram of 0xff bytes): the end-around carry
 * must be added until none is left, or a right checksum reads as wrong. In
 * both the last payload words are chosen so that, with the checksum field
 * 0x1234, the words add up to the wanted total. */
static void test_checksum_carries_of_carries(void **state)
{
	enum { pay = 4 * 0x10400 + 8 };          /* 0x10400 words of ones, two free */
	static uint8_t j[40 + 8 + 8 + pay];
	uint8_t b[128], body[8] = { 9, 8, 7, 6, 0, 0, 0, 0 };
	struct pkt p;
	uint64_t s, t, hi, want, d;
	size_t len;

	(void)state;
	/* total exactly 0xFFFFFFFF: 0xffff + 0xffff after one fold */
	(void)build_udp6(b, body, sizeof body);        /* for its header words */
	s = words_udp6(b, 16) + sum32(0, body, 8);
	d = UINT64_C(0xFFFFFFFF) - 0x1234 - s;
	assert_true(d <= 0xFFFFFFFFu);
	body[4] = (uint8_t)(d >> 24); body[5] = (uint8_t)(d >> 16);
	body[6] = (uint8_t)(d >> 8); body[7] = (uint8_t)d;
	len = build_udp6(b, body, sizeof body);
	assert_int_equal(b[46] << 8 | b[47], 0x1234);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	b[len - 1] ^= 1;
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_UDP_BAD_CHECKSUM);

	/* a jumbogram: total = hi * 2^32 + lo with hi + lo >= 2^32 */
	len = build_jumbo_udp(j, pay, 0);
	memset(j + 56, 0xff, pay - 8);
	memset(j + 56 + pay - 8, 0, 8);
	s = words_udp6(j, 8 + pay) + sum32(0, j + 56, pay);
	hi = (s >> 32) + 1;
	assert_true(hi >= 0xffff);
	/* lo = 2^32 - 1 - (hi mod 0xffff): total = hi + lo = 0 modulo 0xffff,
	 * so the checksum field needed is the 0x1234 put in the total */
	want = hi << 32 | (UINT64_C(0xFFFFFFFF) - hi % 0xffff);
	assert_true((want & 0xFFFFFFFFu) + (want >> 32) > UINT64_C(0xFFFFFFFF));
	d = want - 0x1234 - s;
	assert_true(d <= UINT64_C(0x1FFFFFFFE));
	t = d > 0xFFFFFFFFu ? 0xFFFFFFFFu : d;
	for (int k = 0; k < 2; k++, d -= t, t = d) {
		uint8_t *w = j + 56 + pay - 8 + 4 * k;

		w[0] = (uint8_t)(t >> 24); w[1] = (uint8_t)(t >> 16);
		w[2] = (uint8_t)(t >> 8); w[3] = (uint8_t)t;
	}
	l4_csum(j + 48, 8 + pay, 6, j + 8, j + 24, 16, 17);
	assert_int_equal(j[54] << 8 | j[55], 0x1234);
	assert_int_equal(decode_verified(LT_IPV6, j, len, &p), TC_OK);
	assert_int_equal(p.payload_len, pay);
	assert_int_equal(p.n_err, 0);
	j[len - 1] ^= 1;
	assert_int_equal(decode_verified(LT_IPV6, j, len, &p), TC_OK);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_UDP_BAD_CHECKSUM);
}

/* IPv4 source routes (RFC 791 3.1): while the pointer is not past the
 * option, dst is the next hop and the checksum names the option's last
 * address; dst in the record stays the header's. */
static void test_ipv4_source_route_checksum(void **state)
{
	uint8_t b[128], tcp[20], opt[8];
	struct pkt p;
	size_t len;

	(void)state;
	for (int strict = 0; strict < 2; strict++) {
		/* LSRR or SSRR, length 7, pointer 4: C4 still to visit */
		opt[0] = strict ? 137 : 131;
		opt[1] = 7;
		opt[2] = 4;
		memcpy(opt + 3, C4, 4);
		opt[7] = 0;                  /* EOL */
		build_tcp(tcp, 5);
		l4_csum(tcp, 20, 16, A4, C4, 4, 6);
		len = build_ip4(b, opt, 8, 6, 0, tcp, 20);
		assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
		if (p.n_err != 0)
			fail_msg("%s to the final destination: %s", strict ? "SSRR" : "LSRR",
				 pkt_err_name(p.err[0]));
		assert_true(p.dst_routed);
		assert_memory_equal(p.dst, B4, 4);
		/* a checksum over the next hop's address is the wrong one */
		build_tcp(tcp, 5);
		l4_csum(tcp, 20, 16, A4, B4, 4, 6);
		len = build_ip4(b, opt, 8, 6, 0, tcp, 20);
		assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
		assert_int_equal(p.n_err, 1);
		assert_int_equal(p.err[0], PE_TCP_BAD_CHECKSUM);
		/* pointer 7, on the option's last octet: not past the length,
		 * so the route is not used up (RFC 791 3.1: empty only when
		 * the pointer is greater than the length) and dst is still a
		 * waypoint; a checksum over the option's address is not bad */
		opt[2] = 7;
		build_tcp(tcp, 5);
		l4_csum(tcp, 20, 16, A4, C4, 4, 6);
		len = build_ip4(b, opt, 8, 6, 0, tcp, 20);
		assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
		assert_true(p.dst_routed);
		assert_int_equal(p.n_err, 0);
		build_tcp(tcp, 5);
		l4_csum(tcp, 20, 16, A4, B4, 4, 6);
		/* pointer 8, past the length: the route is used up and dst is
		 * the final destination */
		opt[2] = 8;
		len = build_ip4(b, opt, 8, 6, 0, tcp, 20);
		assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
		assert_int_equal(p.n_err, 0);
		assert_false(p.dst_routed);
	}
}

/* An IPv6 routing header of type rtype with segments left 1 and two
 * addresses (first, second) before a UDP datagram whose checksum names
 * csum_dst. */
static size_t build_routed6(uint8_t *b, uint8_t rtype, const uint8_t *first,
			    const uint8_t *second, const uint8_t *csum_dst)
{
	size_t len = 40 + 40 + 8 + 4;

	memset(b, 0, len);
	b[0] = 0x60;
	put16(b + 4, (uint16_t)(len - 40));
	b[6] = 43;
	b[7] = 64;
	b[8] = 0x20; b[9] = 0x01; b[10] = 0x0d; b[11] = 0xb8; b[23] = 1;
	b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = 0xb8; b[39] = 2;
	b[40] = 17;
	b[41] = 4;                       /* 40 bytes: 8 + two addresses */
	b[42] = rtype;
	b[43] = 1;                       /* segments left */
	if (rtype == 4)
		b[44] = 1;               /* SRH: last entry */
	memcpy(b + 48, first, 16);
	memcpy(b + 64, second, 16);
	put16(b + 80, 5000);
	put16(b + 82, 53);
	put16(b + 84, 12);
	memcpy(b + 88, "ping", 4);
	l4_csum(b + 80, 12, 6, b + 8, csum_dst, 16, 17);
	return len;
}

static void test_ipv6_routing_checksum(void **state)
{
	uint8_t b[128], f1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x91 },
		f2[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x92 };
	struct pkt p;
	size_t len;

	(void)state;
	/* type 0: the last address is the final destination (RFC 8200 8.1) */
	len = build_routed6(b, 0, f1, f2, f2);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	assert_true(p.dst_routed);
	assert_int_equal(p.dst[15], 2);          /* dst stays the header's */
	len = build_routed6(b, 0, f1, f2, f1);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_UDP_BAD_CHECKSUM);
	/* type 4 (SRH, RFC 8754): segment list[0] is the last segment */
	len = build_routed6(b, 4, f1, f2, f1);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	len = build_routed6(b, 4, f1, f2, f2);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_UDP_BAD_CHECKSUM);
	/* type 3 (RPL, compressed addresses): not read, not judged */
	len = build_routed6(b, 3, f1, f2, f1);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_true(p.dst_routed);
	assert_int_equal(p.n_err, 0);
	len = build_routed6(b, 3, f1, f2, f2);
	assert_int_equal(decode_verified(LT_IPV6, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
}

/* IPv4 AH (RFC 4302): walked to the protected protocol, as over IPv6. */
static void test_ipv4_ah(void **state)
{
	uint8_t b[128], body[64];
	struct pkt p;
	size_t len;

	(void)state;
	memset(body, 0, sizeof body);
	body[0] = 6;                     /* next header TCP */
	body[1] = 4;                     /* (4 + 2) * 4 = 24 bytes */
	body[7] = 1;                     /* SPI 1 */
	build_tcp(body + 24, 5);
	l4_csum(body + 24, 20, 16, A4, B4, 4, 6);
	len = build_ip4(b, NULL, 0, 51, 0, body, 44);
	assert_int_equal(decode_verified(LT_RAW, b, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);    /* header checksum over 20 bytes, TCP's over 20 */
	assert_true(p.have_l4);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.ip_hlen, 44);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.payload_len, 0);
	/* the AH cut by the capture */
	assert_int_equal(decode_copy(LT_RAW, b, 30, len, &p), TC_TRUNCATED);
	assert_int_equal(p.err[0], PE_IP_TRUNCATED);
	/* an AH longer than the datagram */
	body[1] = 20;
	len = build_ip4(b, NULL, 0, 51, 0, body, 44);
	assert_int_equal(decode_copy(LT_RAW, b, len, len, &p), TC_MALFORMED);
	assert_int_equal(p.err[0], PE_IP_BAD_TOTLEN);
	/* ... in a first fragment the rest may follow: soft, no transport */
	len = build_ip4(b, NULL, 0, 51, 0x2000, body, 44);
	assert_int_equal(decode_copy(LT_RAW, b, len, len, &p), TC_OK);
	assert_false(p.have_l4);
	assert_int_equal(p.err[0], PE_IP_FRAGMENT);
	/* a later fragment carries no AH to walk */
	body[1] = 4;
	len = build_ip4(b, NULL, 0, 51, 0x0003, body, 44);
	assert_int_equal(decode_copy(LT_RAW, b, len, len, &p), TC_OK);
	assert_int_equal(p.proto, 51);
	assert_int_equal(p.ip_hlen, 20);
}

/* IPv4 options whose length does not suit their kind (RFC 791 3.1, RFC
 * 2113 2.1, RFC 4782 4.1): ip.bad-options, soft. */
static void test_ip_option_lengths(void **state)
{
	static const struct {
		uint8_t opt[8];
		bool bad;
	} cases[] = {
		{ { 0x94, 4, 0, 0, 1, 1, 1, 0 }, false },    /* Router Alert, 4 */
		{ { 0x94, 3, 0, 1, 1, 1, 1, 0 }, true },     /* ... 3 */
		{ { 0x94, 6, 0, 0, 0, 0, 1, 0 }, true },     /* ... 6 */
		{ { 0x44, 2, 1, 1, 1, 1, 1, 0 }, true },     /* Timestamp, 2 (< 4) */
		{ { 0x44, 4, 5, 0, 1, 1, 1, 0 }, false },    /* ... 4, no entries */
		{ { 0x07, 2, 1, 1, 1, 1, 1, 0 }, true },     /* Record Route, 2 (< 3) */
		{ { 0x89, 3, 4, 1, 1, 1, 1, 0 }, false },    /* SSRR, 3, no address */
		{ { 0x88, 2, 1, 1, 1, 1, 1, 0 }, true },     /* Stream ID, 2 */
		{ { 0x88, 4, 0, 7, 1, 1, 1, 0 }, false },    /* ... 4 */
		{ { 0x19, 8, 0, 0, 0, 0, 0, 0 }, false },    /* Quick-Start, 8 */
		{ { 0x19, 6, 0, 0, 0, 0, 1, 0 }, true },     /* ... 6 */
		{ { 0x82, 2, 1, 1, 1, 1, 1, 0 }, true },     /* Security, 2 (< 3) */
		{ { 0x9e, 3, 0, 1, 1, 1, 1, 0 }, false },    /* unknown kind: its own length */
	};
	uint8_t b[64], tcp[20];
	struct pkt p;

	(void)state;
	build_tcp(tcp, 5);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = build_ip4(b, cases[i].opt, 8, 6, 0, tcp, 20);

		assert_int_equal(decode_copy(LT_RAW, b, len, len, &p), TC_OK);
		if (has_err(&p, PE_IP_BAD_OPTIONS) != cases[i].bad)
			fail_msg("option 0x%02x length %u: ip.bad-options %s", cases[i].opt[0],
				 cases[i].opt[1], cases[i].bad ? "missing" : "given");
		assert_true(p.have_l4);
	}
}

/* IPv6 header chains whose headers fit but whose order or Jumbo Payload
 * use is forbidden (RFC 8200 4.1, RFC 2675 3): ip6.bad-ext, soft. */
static void test_ipv6_chain_rules(void **state)
{
	static uint8_t j[40 + 16 + 70000 + 8];
	uint8_t b[256];
	struct pkt p;
	size_t len;

	(void)state;
	/* destination options, then hop-by-hop: out of place */
	len = build_ext_chain(b, sizeof b, 2);
	b[40] = 0;                       /* the first header's next: hop-by-hop */
	assert_int_equal(decode_copy(LT_IPV6, b, len, len, &p), TC_OK);
	assert_true(p.have_l4);
	assert_int_equal(p.dport, 9);
	assert_int_equal(p.n_err, 1);
	assert_int_equal(p.err[0], PE_IP6_BAD_EXT);
	/* hop-by-hop first: fine */
	b[6] = 0;
	b[40] = 60;
	assert_int_equal(decode_copy(LT_IPV6, b, len, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	/* a Jumbo Payload option with a payload length other than 0 */
	len = build_ext_chain(b, sizeof b, 1);
	b[6] = 0;
	b[42] = 0xC2;
	b[43] = 4;
	b[45] = 1;                       /* 65536 */
	assert_int_equal(decode_copy(LT_IPV6, b, len, len, &p), TC_OK);
	assert_int_equal(p.ip_len, 56);  /* the payload length rules */
	assert_true(p.have_l4);
	assert_true(has_err(&p, PE_IP6_BAD_EXT));
	/* a jumbo length below 65536 (payload length 0) */
	b[4] = b[5] = 0;
	b[45] = 0;
	b[47] = 16;
	assert_int_equal(decode_copy(LT_IPV6, b, len, len, &p), TC_OK);
	assert_int_equal(p.ip_len, 56);
	assert_true(has_err(&p, PE_IP6_BAD_EXT));
	/* the smallest jumbo length, 65536 (RFC 2675 2: "greater than
	 * 65,535"), is clean: a UDP datagram of 65528 octets */
	len = build_jumbo_udp(j, 65536 - 16, 65536 - 8);
	assert_int_equal(decode_copy(LT_IPV6, j, len, len, &p), TC_OK);
	assert_int_equal(p.ip_len, 40 + 65536);
	assert_int_equal(p.n_err, 0);
	assert_true(p.have_l4);
	/* a proper jumbogram is clean; with a fragment header it is not */
	len = build_jumbo_udp(j, 70000, 0);
	assert_int_equal(decode_copy(LT_IPV6, j, len, len, &p), TC_OK);
	assert_int_equal(p.n_err, 0);
	memmove(j + 56, j + 48, len - 48);
	memset(j + 48, 0, 8);
	j[40] = 44;                      /* hop-by-hop -> fragment (atomic) -> UDP */
	j[48] = 17;
	j[47] += 8;
	len += 8;
	assert_int_equal(decode_copy(LT_IPV6, j, len, len, &p), TC_OK);
	assert_true(has_err(&p, PE_IP6_BAD_EXT));
}

/* ---- names and addresses ---------------------------------------------------------- */

static void test_err_names(void **state)
{
	(void)state;
	for (int i = 1; i < PE__COUNT; i++) {
		const char *n = pkt_err_name((enum pkt_err)i);

		assert_string_not_equal(n, "unknown");
		assert_non_null(strchr(n, '.'));
		for (int j = 1; j < i; j++)
			assert_string_not_equal(n, pkt_err_name((enum pkt_err)j));
	}
	assert_string_equal(pkt_err_name(PE__COUNT), "unknown");
	assert_string_equal(pkt_err_name(PE_TCP_BAD_OFFSET), "tcp.bad-offset");
	assert_string_equal(pkt_err_name(PE_IP_LEN_EXCEEDS_FRAME), "ip.length-exceeds-frame");
}

static void expect_ntop(const uint8_t a[16])
{
	char ours[46], ref[INET6_ADDRSTRLEN];

	assert_non_null(inet_ntop(AF_INET6, a, ref, sizeof ref));
	addr_format(6, a, ours);
	if (strcmp(ours, ref) != 0) {
		char hex[40];

		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", a[i]);
		fail_msg("%s: ours %s, inet_ntop %s", hex, ours, ref);
	}
}

static void test_addr_format_vs_inet_ntop(void **state)
{
	static const char *const fixed[] = {
		"::", "::1", "1::", "::1:0:0", "1:0:0:2::3", "1::2:0:0:3", "2001:db8::1",
		"2001:db8:0:0:1:0:0:1", "2001:0:0:1:0:0:0:1", "fe80::1:2:3:4", "ff02::fb",
		"::ffff:1.2.3.4", "::ffff:0.0.0.0", "::1.2.3.4", "::0.0.1.2", "64:ff9b::1.2.3.4",
		"::ffff:0:1.2.3.4", "1:2:3:4:5:6:7:8", "0:1:2:3:4:5:6:7", "1:2:3:4:5:6:7:0",
		"abcd:ef01:2345:6789:abcd:ef01:2345:6789", "0:0:1::", "1:0:1:0:1:0:1:0",
	};
	uint8_t a[16];
	char buf[46];
	uint32_t x = 2463534242u;        /* xorshift32, fixed seed: reproducible */

	(void)state;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		assert_int_equal(inet_pton(AF_INET6, fixed[i], a), 1);
		expect_ntop(a);
	}
	/* 200000 addresses whose groups are zero half the time, so zero runs of
	 * every length and position occur, with the IPv4-mapped and -compatible
	 * prefixes forced in now and then */
	for (int n = 0; n < 200000; n++) {
		for (int g = 0; g < 8; g++) {
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			unsigned w = (x & 1) ? 0 : (x >> 8) & ((x & 2) ? 0xFFFF : 0x00FF);
			a[2 * g] = (uint8_t)(w >> 8);
			a[2 * g + 1] = (uint8_t)w;
		}
		if (n % 7 == 0) {
			memset(a, 0, 10);
			a[10] = a[11] = (n % 14 == 0) ? 0xFF : 0;
		}
		expect_ntop(a);
	}
	memset(a, 0, sizeof a);
	a[0] = 10; a[3] = 255;
	assert_string_equal(addr_format(4, a, buf), "10.0.0.255");
	a[0] = 255; a[1] = 255; a[2] = 255;
	assert_string_equal(addr_format(4, a, buf), "255.255.255.255");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_packets),
		cmocka_unit_test(test_every_prefix_truncated),
		cmocka_unit_test(test_every_prefix_short_on_wire),
		cmocka_unit_test(test_fields_ethernet_tcp),
		cmocka_unit_test(test_fields_qinq_sack),
		cmocka_unit_test(test_fields_other_links),
		cmocka_unit_test(test_loopback_families),
		cmocka_unit_test(test_malformed_ipv4),
		cmocka_unit_test(test_raw_version_by_linktype),
		cmocka_unit_test(test_malformed_tcp),
		cmocka_unit_test(test_malformed_udp),
		cmocka_unit_test(test_ethernet_padding_and_tso),
		cmocka_unit_test(test_caplen_above_origlen),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_ipv6_ext_chain),
		cmocka_unit_test(test_ipv6_bad_ext),
		cmocka_unit_test(test_ipv6_big_tcp),
		cmocka_unit_test(test_vlan_depth),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_nflog),
		cmocka_unit_test(test_pktap),
		cmocka_unit_test(test_arcnet_ipoib_ipnet),
		cmocka_unit_test(test_pflog),
		cmocka_unit_test(test_mpls_ppp_pppoe),
		cmocka_unit_test(test_tcp_options),
		cmocka_unit_test(test_tcp_options_after_timestamps),
		cmocka_unit_test(test_ip_options),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_first_fragment_short_tcp),
		cmocka_unit_test(test_first_fragment_checksum_not_judged),
		cmocka_unit_test(test_udp_jumbogram),
		cmocka_unit_test(test_udp_checksum_all_ones),
		cmocka_unit_test(test_checksum_carries_of_carries),
		cmocka_unit_test(test_ipv4_source_route_checksum),
		cmocka_unit_test(test_ipv6_routing_checksum),
		cmocka_unit_test(test_ipv4_ah),
		cmocka_unit_test(test_ip_option_lengths),
		cmocka_unit_test(test_ipv6_chain_rules),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_addr_format_vs_inet_ntop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
