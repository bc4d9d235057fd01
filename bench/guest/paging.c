// paging.c: phase "paging" — TLB misses. With paging on (Intel SDM vol. 3A,
// 4.3: 32-bit paging, 4 KiB pages), 8192 virtual pages at 1 GiB are mapped
// onto a pool of 32 physical frames; every sweep reloads CR3, which flushes
// all non-global translations (4.10.4.1), then touches each page once, so
// every access walks the page directory and a page table. The first sweep
// also sets the accessed and dirty bits.

#include "bench.h"
#include "x86.h"

#define PTE_PRESENT  0x001
#define PTE_WRITABLE 0x002
#define CR0_PG       0x80000000u

#define PAGE_SIZE          4096u
#define ENTRIES_PER_TABLE  1024u
#define IDENTITY_TABLES    1u                  // 0-4 MiB: code, data, stack, buffers
#define TEST_TABLES        8u
#define TEST_PAGES         (TEST_TABLES * ENTRIES_PER_TABLE)
#define TEST_BASE          0x40000000u         // virtual address of the touched region
#define FRAME_POOL_ADDR    BUFFER_A_ADDR
#define FRAME_POOL_FRAMES  32u                 // 128 KiB: both 64 KiB buffers
#define PAGING_SWEEPS      SCALED(500)

static void build_page_tables(void)
{
	uint32_t *directory = (uint32_t *)PAGE_DIRECTORY_ADDR;
	uint32_t *tables = (uint32_t *)PAGE_TABLES_ADDR;
	memset(directory, 0, PAGE_SIZE);

	for (uint32_t i = 0; i < IDENTITY_TABLES * ENTRIES_PER_TABLE; i++)
		tables[i] = (i * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
	for (uint32_t t = 0; t < IDENTITY_TABLES; t++)
		directory[t] = (PAGE_TABLES_ADDR + t * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;

	uint32_t *test_tables = tables + IDENTITY_TABLES * ENTRIES_PER_TABLE;
	for (uint32_t page = 0; page < TEST_PAGES; page++) {
		// A stride of 7 (coprime to 32) scatters neighbours across the pool.
		uint32_t frame = (page * 7) % FRAME_POOL_FRAMES;
		test_tables[page] = (FRAME_POOL_ADDR + frame * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
	}
	uint32_t first_test_table = PAGE_TABLES_ADDR + IDENTITY_TABLES * PAGE_SIZE;
	for (uint32_t t = 0; t < TEST_TABLES; t++)
		directory[(TEST_BASE >> 22) + t] = (first_test_table + t * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
}

uint32_t phase_paging(void)
{
	fill_pattern((uint32_t *)FRAME_POOL_ADDR, FRAME_POOL_FRAMES * PAGE_SIZE / 4, 0xBADC0DE);
	build_page_tables();
	lcr3(PAGE_DIRECTORY_ADDR);
	lcr0(rcr0() | CR0_PG);

	uint32_t checksum = 0;
	for (uint32_t sweep = 0; sweep < PAGING_SWEEPS; sweep++) {
		lcr3(PAGE_DIRECTORY_ADDR);
		for (uint32_t page = 0; page < TEST_PAGES; page++) {
			// A different word in each page, so aliases of one frame differ.
			volatile uint32_t *word = (volatile uint32_t *)
				(TEST_BASE + page * PAGE_SIZE + ((page * 68) & (PAGE_SIZE - 4)));
			uint32_t value = *word;
			*word = value + page + sweep;
			checksum = (checksum << 1 | checksum >> 31) ^ value;
		}
	}

	lcr0(rcr0() & ~CR0_PG);
	return checksum;
}
