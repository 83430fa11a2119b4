/*
 * mutator_afl.c - the custom mutators as AFL++ custom mutator libraries
 * (AFL++ docs/custom_mutators.md: afl_custom_init, afl_custom_fuzz,
 * afl_custom_deinit). Built by mk/fuzz.mk once per target with
 * -DMUT_FN=mut_pcap or mut_engine into build/fuzz/afl/mutator_NAME.so, and
 * loaded by `make afl` through AFL_CUSTOM_MUTATOR_LIBRARY. AFL++ keeps its
 * own havoc stage alongside (AFL_CUSTOM_MUTATOR_ONLY is not set), which is
 * the raw-byte share here; mut_bytes falls back to our small havoc since
 * LLVMFuzzerMutate does not exist in AFL++.
 */
#include <stdlib.h>
#include <string.h>

#include "mutator.h"

#ifndef MUT_FN
#error "compile with -DMUT_FN=mut_pcap or -DMUT_FN=mut_engine (see mk/fuzz.mk)"
#endif

struct afl_mut {
	struct mut_rng rng;
	uint8_t *buf;
	size_t cap;
};

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	struct afl_mut *m = calloc(1, sizeof(*m));

	(void)afl;
	if (m != NULL)
		mut_seed(&m->rng, seed);
	return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf,
		       uint8_t *add_buf, size_t add_buf_size, size_t max_size)
{
	struct afl_mut *m = data;
	size_t cap = max_size > buf_size ? max_size : buf_size;

	(void)add_buf;
	(void)add_buf_size;
	if (buf_size > max_size)
		buf_size = max_size;
	if (cap > m->cap) {
		uint8_t *nb = realloc(m->buf, cap);

		if (nb == NULL) {
			*out_buf = buf;
			return buf_size;
		}
		m->buf = nb;
		m->cap = cap;
	}
	memcpy(m->buf, buf, buf_size);
	*out_buf = m->buf;
	return MUT_FN(m->buf, buf_size, max_size, &m->rng);
}

void afl_custom_deinit(void *data)
{
	struct afl_mut *m = data;

	if (m != NULL)
		free(m->buf);
	free(m);
}
