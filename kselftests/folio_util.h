/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __SELFTESTS_MM_FOLIO_UTIL_H
#define __SELFTESTS_MM_FOLIO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t kpageflags_get(int fd, unsigned long pfn);
bool range_is_one_folio(int pagemap_fd, int kpageflags_fd, char *addr,
			size_t size, char *why, size_t len);
const char *memcg_enter(const char *name);
void memcg_leave(void);
void memcg_reclaim(size_t bytes, int swappiness);
long mthp_stat_get(size_t size, const char *name);

#endif /* __SELFTESTS_MM_FOLIO_UTIL_H */
